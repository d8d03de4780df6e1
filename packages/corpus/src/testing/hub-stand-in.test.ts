import {
  commit,
  createRepo,
  deleteFile,
  fileExists,
  HubApiError,
  listFiles,
  uploadFiles,
  whoAmI,
} from '@huggingface/hub';
import { afterEach, describe, expect, it } from 'vitest';
import { digestBytes, gitBlobSha1 } from '../hub/git-hash.js';
import { type HubStandIn, type HubStandInOptions, startHubStandIn } from './index.js';

const REPO = { type: 'dataset', name: 'stand-in-user/sample' } as const;
const CARD = '---\nlicense: cc-by-4.0\n---\n# A sample\n';
// Binary content (a NUL in the sample) goes to LFS whatever the file is called.
const SHARD = new Uint8Array(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));

let hub: HubStandIn | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

async function withSample(options: HubStandInOptions = {}) {
  hub = await startHubStandIn(options);
  const client = { hubUrl: hub.hubUrl, accessToken: hub.token };
  await createRepo({ repo: REPO, ...client });
  await uploadFiles({
    repo: REPO,
    files: [
      { path: 'README.md', content: new Blob([CARD]) },
      { path: 'data/shard.bin', content: new Blob([SHARD]) },
    ],
    ...client,
  });
  return { hub, client, base: `${hub.hubUrl}/datasets/${REPO.name}` };
}

async function caughtHubError(promise: Promise<unknown>): Promise<HubApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HubApiError) return error;
    throw error;
  }
  throw new Error('expected a HubApiError');
}

describe('startHubStandIn', () => {
  it('answers whoami-v2 and 409 for a repository that exists', async () => {
    const { hub, client } = await withSample({ orgs: ['cncf-llm'] });
    const me = await whoAmI(client);
    expect(me).toMatchObject({ type: 'user', name: 'stand-in-user' });
    expect(me.type === 'user' && me.orgs.map((org) => org.name)).toEqual(['cncf-llm']);
    const again = await caughtHubError(createRepo({ repo: REPO, ...client }));
    expect(again.statusCode).toBe(409);
    expect([...hub.repos.keys()]).toEqual(['datasets/stand-in-user/sample']);
  });

  it('serves resolve with Range, ETag and the listed size, and HEAD without a body', async () => {
    const { base } = await withSample();
    const probe = await fetch(`${base}/resolve/main/README.md`, {
      headers: { Range: 'bytes=0-0' },
    });
    expect(probe.status).toBe(206);
    expect(probe.headers.get('content-range')).toBe(`bytes 0-0/${CARD.length}`);
    expect(probe.headers.get('etag')).toBe(`"${gitBlobSha1(new TextEncoder().encode(CARD))}"`);
    expect(await probe.text()).toBe('-');

    const tail = await fetch(`${base}/resolve/main/README.md`, { headers: { Range: 'bytes=-9' } });
    expect(await tail.text()).toBe('A sample\n');
    const beyond = await fetch(`${base}/resolve/main/README.md`, {
      headers: { Range: 'bytes=999-' },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${CARD.length}`);

    const shard = await fetch(`${base}/resolve/main/data/shard.bin`);
    expect(shard.status).toBe(200);
    expect(new Uint8Array(await shard.arrayBuffer())).toEqual(SHARD);
    expect(shard.headers.get('etag')).toBe(`"${digestBytes(SHARD).sha256}"`);
    expect(shard.headers.get('x-repo-commit')).toMatch(/^[0-9a-f]{40}$/);

    const head = await fetch(`${base}/resolve/main/data/shard.bin`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(SHARD.length));
    expect(await head.text()).toBe('');
  });

  it('stores binary files in LFS and lists pointer oids that match the raw pointer', async () => {
    const { base, client } = await withSample();
    const entries = [];
    for await (const entry of listFiles({ repo: REPO, recursive: true, ...client })) {
      entries.push(entry);
    }
    expect(entries.map((entry) => [entry.type, entry.path])).toEqual([
      ['file', '.gitattributes'],
      ['file', 'README.md'],
      ['directory', 'data'],
      ['file', 'data/shard.bin'],
    ]);
    const shard = entries.find((entry) => entry.path === 'data/shard.bin');
    expect(shard?.lfs).toMatchObject({ oid: digestBytes(SHARD).sha256, size: SHARD.length });
    const pointer = new Uint8Array(
      await (await fetch(`${base}/raw/main/data/shard.bin`)).arrayBuffer(),
    );
    expect(gitBlobSha1(pointer)).toBe(shard?.oid);
    expect(pointer.byteLength).toBe(shard?.lfs?.pointerSize);
  });

  it('gives Hub-style errors: X-Error-Code on 404s, 401 for a wrong token', async () => {
    const { base, client, hub } = await withSample();
    const codeOf = async (url: string) => (await fetch(url)).headers.get('x-error-code');
    expect(await codeOf(`${hub.hubUrl}/datasets/stand-in-user/nope/resolve/main/README.md`)).toBe(
      'RepoNotFound',
    );
    expect(await codeOf(`${base}/resolve/nope/README.md`)).toBe('RevisionNotFound');
    expect(await codeOf(`${base}/resolve/main/nope.md`)).toBe('EntryNotFound');
    expect(await fileExists({ repo: REPO, path: 'README.md', ...client })).toBe(true);
    expect(await fileExists({ repo: REPO, path: 'nope.md', ...client })).toBe(false);

    const wrong = await fetch(`${hub.hubUrl}/api/datasets/${REPO.name}/tree/main`, {
      headers: { Authorization: 'Bearer hf_wrong' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'Invalid credentials in Authorization header' });
    const anonymousWrite = await caughtHubError(
      uploadFiles({
        repo: REPO,
        files: [{ path: 'x', content: new Blob(['x']) }],
        hubUrl: hub.hubUrl,
      }),
    );
    expect(anonymousWrite.statusCode).toBe(401);
  });

  it('checks LFS uploads and refuses commits of objects never uploaded', async () => {
    const { hub } = await withSample();
    const content = new TextEncoder().encode('not what was announced');
    const oid = digestBytes(new TextEncoder().encode('announced')).sha256;
    const batch = await fetch(`${hub.hubUrl}/datasets/${REPO.name}.git/info/lfs/objects/batch`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${hub.token}`,
        'Content-Type': 'application/vnd.git-lfs+json',
      },
      body: JSON.stringify({
        operation: 'upload',
        transfers: ['basic'],
        objects: [{ oid, size: 9 }],
      }),
    });
    const answer = (await batch.json()) as {
      transfer: string;
      objects: { actions: { upload: { href: string } } }[];
    };
    expect(answer.transfer).toBe('basic');
    const href = answer.objects[0]?.actions.upload.href ?? '';
    expect(href.startsWith(hub.hubUrl)).toBe(true);
    const put = await fetch(href, { method: 'PUT', body: content });
    expect(put.status).toBe(400);
    expect(hub.lfsObjects.has(oid)).toBe(false);

    const committed = await fetch(`${hub.hubUrl}/api/datasets/${REPO.name}/commit/main`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${hub.token}`, 'Content-Type': 'application/x-ndjson' },
      body: [
        JSON.stringify({ key: 'header', value: { summary: 'sneak' } }),
        JSON.stringify({ key: 'lfsFile', value: { path: 'x.bin', algo: 'sha256', oid, size: 9 } }),
      ].join('\n'),
    });
    expect(committed.status).toBe(422);
    expect(hub.repos.get(`datasets/${REPO.name}`)!.files().has('x.bin')).toBe(false);
  });

  it('keeps history per branch, deletes files, and checks parentCommit', async () => {
    const { hub, client } = await withSample();
    const repo = hub.repos.get(`datasets/${REPO.name}`)!;
    const before = repo.branches.get('main')!;
    await deleteFile({ repo: REPO, path: 'README.md', ...client });
    expect(repo.files('main').has('README.md')).toBe(false);
    expect(repo.files(before).has('README.md')).toBe(true);
    expect(repo.history('main')).toHaveLength(3);

    const stale = await caughtHubError(
      commit({
        repo: REPO,
        title: 'late',
        operations: [{ operation: 'addOrUpdate', path: 'late.txt', content: new Blob(['late']) }],
        parentCommit: before,
        ...client,
      }),
    );
    expect(stale.statusCode).toBe(412);
  });

  it('paginates tree listings with Link headers and fails requests on purpose once', async () => {
    const { client } = await withSample({
      treePageSize: 1,
      failOnce: [{ path: '/tree/', status: 503 }],
    });
    const url = `${client.hubUrl}/api/datasets/${REPO.name}/tree/main?recursive=true`;
    expect((await fetch(url)).status).toBe(503);
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('link')).toMatch(/cursor=1.*rel="next"/);
    const paths: string[] = [];
    for await (const entry of listFiles({ repo: REPO, recursive: true, ...client })) {
      paths.push(entry.path);
    }
    expect(paths).toEqual(['.gitattributes', 'README.md', 'data', 'data/shard.bin']);
  });
});
