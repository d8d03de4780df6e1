import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { uploadFiles } from '@huggingface/hub';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeDatasetDir } from '../../test/fixtures/hub/make-dataset.js';
import { CorpusError, isCorpusError } from '../errors.js';
import { type HubStandIn, type HubStandInOptions, startHubStandIn } from '../testing/index.js';
import { listLocalFiles } from './local-files.js';
import { type PushEvent, pushDataset, pushDatasetIter } from './push-dataset.js';

const REPO = 'cncf-llm/etcd-docs';
let template: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  template = await mkdtemp(join(tmpdir(), 'corpus-hub-template-'));
  await makeDatasetDir(template);
});
afterAll(async () => {
  await rm(template, { recursive: true, force: true });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function setup(options: HubStandInOptions = {}) {
  const hub = await startHubStandIn({ orgs: ['cncf-llm'], ...options });
  const dir = await mkdtemp(join(tmpdir(), 'corpus-hub-push-'));
  await cp(template, dir, { recursive: true });
  cleanup.push(
    () => hub.close(),
    () => rm(dir, { recursive: true, force: true }),
  );
  const push = (extra: Partial<Parameters<typeof pushDataset>[0]> = {}) =>
    pushDataset({ dir, repo: REPO, accessToken: hub.token, hubUrl: hub.hubUrl, ...extra });
  return { hub, dir, push };
}

/** Local files of `dir` by repository path. */
async function localContents(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const file of await listLocalFiles(dir))
    out.set(file.path, await readFile(file.absolutePath));
  return out;
}

const uploadsIn = (hub: HubStandIn, from = 0) =>
  hub.requests.slice(from).filter((request) => request.path.startsWith('/__lfs/upload/'));
const commitsIn = (hub: HubStandIn, from = 0) =>
  hub.requests.slice(from).filter((request) => /\/commit\//.test(request.path));

async function caught(promise: Promise<unknown>): Promise<CorpusError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CorpusError) return error;
    throw error;
  }
  throw new Error('expected a CorpusError, but the call succeeded');
}

describe('pushDataset against the Hub stand-in, with the real @huggingface/hub client', () => {
  it('creates the repository and stores every file byte for byte, Parquet in LFS', async () => {
    const { hub, dir, push } = await setup();
    const events: PushEvent[] = [];
    const result = await push({ onProgress: (event) => events.push(event) });

    expect(result.repoCreated).toBe(true);
    expect(result.repoUrl).toBe(`${hub.hubUrl}/datasets/${REPO}`);
    expect(result.commits).toHaveLength(1);
    expect(result.commits[0]?.files).toBe(3);
    const repo = hub.repos.get(`datasets/${REPO}`);
    expect(repo?.type).toBe('dataset');
    expect(repo?.branches.get('main')).toBe(result.head);

    const stored = repo!.files('main');
    const local = await localContents(dir);
    for (const [path, bytes] of local) {
      expect(Buffer.from(stored.get(path) ?? []).equals(bytes), path).toBe(true);
    }
    expect([...stored.keys()].sort()).toEqual(['.gitattributes', ...local.keys()].sort());

    const tree = repo!.resolve('main')!.tree;
    expect(tree.get('README.md')?.kind).toBe('regular');
    expect(tree.get('data/train-00000-of-00001.parquet')?.kind).toBe('lfs');
    expect(tree.get('data/validation-00000-of-00001.parquet')?.kind).toBe('lfs');
    expect(uploadsIn(hub)).toHaveLength(2);
    expect(events.map((event) => event.type)).toEqual([
      'repo-ready',
      'file-hashed',
      'file-hashed',
      'file-hashed',
      'plan-made',
      'file-uploaded',
      'file-uploaded',
      'commit-created',
    ]);
  });

  it('uploads nothing when the remote already holds the same content, and only what changed after an edit', async () => {
    const { hub, dir, push } = await setup();
    const first = await push();
    const mark = hub.requests.length;

    const again = await push();
    expect(again.commits).toEqual([]);
    expect(again.head).toBe(first.head);
    expect(again.unchanged).toEqual([
      'README.md',
      'data/train-00000-of-00001.parquet',
      'data/validation-00000-of-00001.parquet',
    ]);
    expect(uploadsIn(hub, mark)).toHaveLength(0);
    expect(commitsIn(hub, mark)).toHaveLength(0);
    expect(hub.requests.slice(mark).some((request) => request.path.includes('/preupload/'))).toBe(
      false,
    );

    const card = join(dir, 'README.md');
    await writeFile(card, `${await readFile(card, 'utf8')}\nA line added by the test.\n`);
    const mark2 = hub.requests.length;
    const edited = await push();
    expect(edited.commits).toHaveLength(1);
    expect(edited.commits[0]).toMatchObject({ files: 1, deleted: 0 });
    expect(edited.unchanged).toHaveLength(2);
    expect(uploadsIn(hub, mark2)).toHaveLength(0);
    const stored = hub.repos.get(`datasets/${REPO}`)!.files('main').get('README.md');
    expect(Buffer.from(stored!).equals(await readFile(card))).toBe(true);
  });

  it('splits a large upload into several chained commits, data first and the card last', async () => {
    const { hub, push } = await setup();
    const result = await push({ maxBytesPerCommit: 20_000, commitMessage: 'Publish etcd docs' });
    expect(result.commits.map((commit) => commit.files)).toEqual([1, 1, 1]);

    const repo = hub.repos.get(`datasets/${REPO}`)!;
    const [third, second, first, initial] = repo.history('main');
    expect(initial?.title).toBe('initial commit');
    expect([first, second, third].map((commit) => commit?.oid)).toEqual(
      result.commits.map((commit) => commit.oid),
    );
    expect(second?.parents).toEqual([first?.oid]);
    expect(third?.parents).toEqual([second?.oid]);
    expect([first, second, third].map((commit) => commit?.title)).toEqual([
      'Publish etcd docs (1/3)',
      'Publish etcd docs (2/3)',
      'Publish etcd docs (3/3)',
    ]);
    expect([...first!.tree.keys()]).toContain('data/train-00000-of-00001.parquet');
    expect([...second!.tree.keys()]).not.toContain('README.md');
    expect([...third!.tree.keys()]).toContain('README.md');

    const byCount = await setup();
    const counted = await byCount.push({ maxFilesPerCommit: 2 });
    expect(counted.commits.map((commit) => commit.files)).toEqual([2, 1]);
  });

  it('commits to a revision branch created from main and tags the pushed commit', async () => {
    const { hub, push } = await setup();
    await push();
    const main = hub.repos.get(`datasets/${REPO}`)!.branches.get('main');

    const result = await push({ revision: 'release/v1', tag: 'v1.0.0', maxFilesPerCommit: 1 });
    const repo = hub.repos.get(`datasets/${REPO}`)!;
    // Created from main, which already held identical files: nothing to upload, so the tag
    // lands on the branch's head, the commit main points at.
    expect(result.commits).toEqual([]);
    expect(repo.branches.get('release/v1')).toBe(main);
    expect(repo.tags.get('v1.0.0')).toBe(main);

    const fresh = await setup();
    const onBranch = await fresh.push({ revision: 'release/v1', tag: 'v1.0.0' });
    const freshRepo = fresh.hub.repos.get(`datasets/${REPO}`)!;
    expect(onBranch.commits).toHaveLength(1);
    expect(freshRepo.branches.get('release/v1')).toBe(onBranch.head);
    expect(freshRepo.tags.get('v1.0.0')).toBe(onBranch.head);
    expect(freshRepo.resolve('main')?.title).toBe('initial commit');
    expect(freshRepo.files('v1.0.0').has('data/train-00000-of-00001.parquet')).toBe(true);

    // The same tag again on the same commit is fine; on another commit it is refused.
    await expect(fresh.push({ revision: 'release/v1', tag: 'v1.0.0' })).resolves.toMatchObject({
      commits: [],
      tag: 'v1.0.0',
    });
    await writeFile(join(fresh.dir, 'data', 'extra.txt'), 'more\n');
    const moved = await caught(fresh.push({ revision: 'release/v1', tag: 'v1.0.0' }));
    expect(moved.code).toBe('hub-error');
    expect(moved.message).toMatch(/Tag v1\.0\.0 already exists/);
    expect(freshRepo.tags.get('v1.0.0')).toBe(onBranch.head);
  });

  it('deletes stale remote shards under data/ but keeps other remote files', async () => {
    const { hub, dir, push } = await setup();
    await push();
    await uploadFiles({
      repo: { type: 'dataset', name: REPO },
      files: [{ path: 'notes/kept.txt', content: new Blob(['added on the Hub\n']) }],
      accessToken: hub.token,
      hubUrl: hub.hubUrl,
    });
    await unlink(join(dir, 'data', 'validation-00000-of-00001.parquet'));
    const result = await push();
    expect(result.deleted).toEqual(['data/validation-00000-of-00001.parquet']);
    expect(result.commits).toEqual([expect.objectContaining({ files: 0, deleted: 1 })]);
    const files = [...hub.repos.get(`datasets/${REPO}`)!.files('main').keys()].sort();
    expect(files).toEqual([
      '.gitattributes',
      'README.md',
      'data/train-00000-of-00001.parquet',
      'notes/kept.txt',
    ]);
  });

  it('retries transient Hub failures on any step and still commits once', async () => {
    const { hub, push } = await setup({
      failOnce: [
        { path: '/preupload/', status: 503 },
        { path: '/__lfs/upload/', status: 500 },
        { path: '/commit/', status: 429, retryAfterSeconds: 0 },
      ],
    });
    const result = await push();
    expect(result.commits).toHaveLength(1);
    expect(commitsIn(hub).map((request) => request.status)).toEqual([429, 200]);
    expect(hub.repos.get(`datasets/${REPO}`)!.history('main')).toHaveLength(2);
  });

  it('fails instead of interleaving when someone else commits to the branch mid-push', async () => {
    const { hub, dir } = await setup();
    const iterator = pushDatasetIter({
      dir,
      repo: REPO,
      accessToken: hub.token,
      hubUrl: hub.hubUrl,
    });
    let error: unknown;
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        if (next.value.type === 'plan-made') {
          await uploadFiles({
            repo: { type: 'dataset', name: REPO },
            files: [{ path: 'other.txt', content: new Blob(['a concurrent commit\n']) }],
            accessToken: hub.token,
            hubUrl: hub.hubUrl,
          });
        }
      }
    } catch (thrown) {
      error = thrown;
    }
    expect(isCorpusError(error, 'hub-error')).toBe(true);
    expect((error as CorpusError).status).toBe(412);
    expect((error as CorpusError).message).toMatch(/push again/);
    expect(hub.repos.get(`datasets/${REPO}`)!.resolve('main')?.tree.has('README.md')).toBe(false);
  });
});

describe('pushDataset refusals', () => {
  it('names HF_TOKEN when no token is given, before any request', async () => {
    const { hub, dir } = await setup();
    vi.stubEnv('HF_TOKEN', '');
    const error = await caught(pushDataset({ dir, repo: REPO, hubUrl: hub.hubUrl }));
    expect(error.code).toBe('invalid-options');
    expect(error.message).toMatch(/HF_TOKEN/);
    expect(hub.requests).toHaveLength(0);
  });

  it('reads HF_TOKEN from the environment', async () => {
    const { hub, dir } = await setup();
    vi.stubEnv('HF_TOKEN', hub.token);
    const result = await pushDataset({ dir, repo: REPO, hubUrl: hub.hubUrl });
    expect(result.commits).toHaveLength(1);
    expect(
      hub.requests.every((request) => request.path.startsWith('/__lfs/') || request.authenticated),
    ).toBe(true);
  });

  it('reports a wrong token as a 401 without the token anywhere in the error', async () => {
    const { hub, dir } = await setup({ leakTokenInErrors: true });
    const wrong = ['hf', 'FAKE', 'wrong', 'token', 'never', 'printed'].join('_');
    const error = await caught(
      pushDataset({ dir, repo: REPO, hubUrl: hub.hubUrl, accessToken: wrong }),
    );
    expect(error.code).toBe('hub-error');
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/HF_TOKEN/);
    // The stand-in echoed the header into its answer; none of it may survive.
    expect(error.message).toContain('hf_***');
    expect(inspect(error, { depth: 20 })).not.toContain(wrong);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(wrong);
    expect(hub.repos.size).toBe(0);
  });

  it('refuses a read-only token and a folder without a card', async () => {
    const readOnly = await setup({ role: 'read' });
    const error = await caught(readOnly.push());
    expect(error.code).toBe('invalid-options');
    expect(error.message).toMatch(/read-only/);
    expect(readOnly.hub.repos.size).toBe(0);

    const { hub, dir, push } = await setup();
    await unlink(join(dir, 'README.md'));
    const noCard = await caught(push());
    expect(noCard.code).toBe('invalid-input');
    expect(noCard.message).toMatch(/README\.md/);
    expect(hub.requests).toHaveLength(0);
  });

  it('creates private repositories, and refuses private: true on an existing public one', async () => {
    const { hub, push } = await setup();
    await push({ repo: 'cncf-llm/private-docs', private: true });
    expect(hub.repos.get('datasets/cncf-llm/private-docs')?.private).toBe(true);

    await push();
    const mark = hub.requests.length;
    const error = await caught(push({ private: true }));
    expect(error.code).toBe('invalid-options');
    expect(error.message).toMatch(/public/);
    expect(commitsIn(hub, mark)).toHaveLength(0);
  });

  it('reports a namespace the token may not write to as a 403', async () => {
    const { push } = await setup();
    const error = await caught(push({ repo: 'someone-else/docs' }));
    expect(error.code).toBe('hub-error');
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/write access/);
  });

  it('rejects bad options and stops when aborted', async () => {
    const { hub, push } = await setup();
    await expect(push({ repo: 'not a repo' })).rejects.toMatchObject({ code: 'invalid-options' });
    await expect(push({ maxBytesPerCommit: 0 })).rejects.toMatchObject({ code: 'invalid-options' });
    const controller = new AbortController();
    controller.abort();
    await expect(push({ signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(hub.repos.size).toBe(0);
  });
});
