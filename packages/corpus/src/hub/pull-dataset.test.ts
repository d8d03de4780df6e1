import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURE_SHARDS,
  makeDatasetDir,
  readParquetWithDuckDB,
} from '../../test/fixtures/hub/make-dataset.js';
import { CorpusError } from '../errors.js';
import { type HubStandIn, type HubStandInOptions, startHubStandIn } from '../testing/index.js';
import { listLocalFiles } from './local-files.js';
import { type PullEvent, pullDataset } from './pull-dataset.js';
import { pushDataset } from './push-dataset.js';

const REPO = 'cncf-llm/etcd-docs';
const TRAIN = 'data/train-00000-of-00001.parquet';
let source: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  source = await mkdtemp(join(tmpdir(), 'corpus-hub-source-'));
  await makeDatasetDir(source);
});
afterAll(async () => {
  await rm(source, { recursive: true, force: true });
});
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** A stand-in holding the fixture dataset on main (and tagged v1), and an empty target folder. */
async function published(options: HubStandInOptions = {}, push: { private?: boolean } = {}) {
  const hub = await startHubStandIn({ orgs: ['cncf-llm'], ...options });
  const out = await mkdtemp(join(tmpdir(), 'corpus-hub-pull-'));
  cleanup.push(
    () => hub.close(),
    () => rm(out, { recursive: true, force: true }),
  );
  const pushed = await pushDataset({
    dir: source,
    repo: REPO,
    accessToken: hub.token,
    hubUrl: hub.hubUrl,
    tag: 'v1',
    ...push,
  });
  const pull = (extra: Partial<Parameters<typeof pullDataset>[0]> = {}) =>
    pullDataset({ repo: REPO, dir: out, hubUrl: hub.hubUrl, ...extra });
  return { hub, out, pull, head: pushed.head };
}

const resolves = (hub: HubStandIn, from = 0) =>
  hub.requests.slice(from).filter((request) => request.path.includes('/resolve/'));

async function caught(promise: Promise<unknown>): Promise<CorpusError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CorpusError) return error;
    throw error;
  }
  throw new Error('expected a CorpusError, but the call succeeded');
}

/** Names of every file under `dir`, recursively. */
async function namesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe('pullDataset against the Hub stand-in, with the real @huggingface/hub client', () => {
  it('writes every file byte for byte with verified checksums', async () => {
    const { out, pull, head } = await published();
    const events: PullEvent[] = [];
    const result = await pull({ onProgress: (event) => events.push(event) });

    expect(result.commit).toBe(head);
    const originals = await listLocalFiles(source);
    for (const original of originals) {
      const pulled = await readFile(join(out, original.path));
      expect(pulled.equals(await readFile(original.absolutePath)), original.path).toBe(true);
      const entry = result.files.find((file) => file.path === original.path);
      expect(entry?.sha256).toBe(createHash('sha256').update(pulled).digest('hex'));
      expect(entry?.bytes).toBe(original.bytes);
    }
    expect(result.files.map((file) => file.path)).toEqual([
      '.gitattributes',
      ...originals.map((file) => file.path),
    ]);
    expect(events.filter((event) => event.type === 'file-downloaded')).toHaveLength(4);
  });

  it('pulls Parquet shards that hyparquet reads with the same rows DuckDB reads from the originals', async () => {
    const { out, pull } = await published();
    await pull();
    for (const path of Object.keys(FIXTURE_SHARDS)) {
      const bytes = await readFile(join(out, path));
      const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const pulledRows = await parquetReadObjects({ file });
      const originalRows = await readParquetWithDuckDB(join(source, path));
      expect(pulledRows.length).toBeGreaterThan(0);
      expect(pulledRows).toEqual(originalRows);
    }
    const train = await readParquetWithDuckDB(join(out, TRAIN));
    expect(train).toHaveLength(40);
    expect(train[0]?.url).toMatch(/^https:\/\/etcd\.io\//);
  });

  it('keeps files that already match and downloads nothing for them', async () => {
    const { hub, pull } = await published();
    await pull();
    const mark = hub.requests.length;
    const again = await pull();
    expect(again.files.every((file) => !file.downloaded)).toBe(true);
    expect(resolves(hub, mark)).toHaveLength(0);
  });

  it('replaces a local file whose content differs', async () => {
    const { out, pull } = await published();
    await pull();
    await writeFile(join(out, 'README.md'), 'edited locally\n');
    const again = await pull();
    expect(again.files.find((file) => file.path === 'README.md')?.downloaded).toBe(true);
    expect(
      (await readFile(join(out, 'README.md'))).equals(await readFile(join(source, 'README.md'))),
    ).toBe(true);
  });

  it('throws checksum-mismatch naming a corrupted LFS file, and leaves no partial file', async () => {
    const { hub, out, pull } = await published();
    hub.repos.get(`datasets/${REPO}`)!.tamper(TRAIN, (bytes) => {
      const copy = new Uint8Array(bytes);
      copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
      return copy;
    });
    const error = await caught(pull());
    expect(error.code).toBe('checksum-mismatch');
    expect(error.message).toContain(TRAIN);
    expect(error.message).toMatch(/sha256/);
    const names = await namesUnder(out);
    expect(names).not.toContain('train-00000-of-00001.parquet');
    expect(names.some((name) => name.endsWith('.corpus-partial'))).toBe(false);
  });

  it('verifies regular files against their git blob id, size changes included', async () => {
    const { hub, out, pull } = await published();
    hub.repos.get(`datasets/${REPO}`)!.tamper('README.md', (bytes) => {
      const copy = new Uint8Array(bytes);
      copy[0] = 0x23 ^ 0x01;
      return copy;
    });
    const error = await caught(pull({ concurrency: 1 }));
    expect(error.code).toBe('checksum-mismatch');
    expect(error.message).toContain('README.md');
    expect(error.message).toMatch(/git blob sha1/);
    expect(await namesUnder(out)).not.toContain('README.md');

    const truncated = await published();
    truncated.hub.repos
      .get(`datasets/${REPO}`)!
      .tamper('README.md', (bytes) => bytes.subarray(0, bytes.length - 10));
    const short = await caught(truncated.pull());
    expect(short.code).toBe('checksum-mismatch');
    expect(short.message).toMatch(/bytes/);
  });

  it('pulls a tag or a commit, and reports an unknown revision', async () => {
    const { hub, pull, head } = await published();
    // Move main on: the tag must still give the first push.
    await pushDataset({
      dir: source,
      repo: REPO,
      accessToken: hub.token,
      hubUrl: hub.hubUrl,
      prune: 'none',
      commitMessage: 'noop',
    });
    const byTag = await pull({ revision: 'v1' });
    expect(byTag.commit).toBe(head);
    const byCommit = await pull({ revision: head });
    expect(byCommit.commit).toBe(head);
    const error = await caught(pull({ revision: 'no-such-branch' }));
    expect(error.code).toBe('hub-error');
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/no-such-branch/);
  });

  it('needs the token for a private repository and follows paginated listings', async () => {
    const { hub, pull } = await published({ treePageSize: 2 }, { private: true });
    const anonymous = await caught(pull({ accessToken: undefined }));
    expect(anonymous.code).toBe('hub-error');
    expect(anonymous.status).toBe(401);

    const mark = hub.requests.length;
    const result = await pull({ accessToken: hub.token });
    expect(result.files).toHaveLength(4);
    const pages = hub.requests.slice(mark).filter((request) => request.path.includes('/tree/'));
    expect(pages.length).toBeGreaterThan(1);
  });

  it('refuses a listing that would write outside the target folder', async () => {
    const { hub, out, pull } = await published();
    // A hostile or broken mirror: inject an escaping path into the tree listing.
    const hostile: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('/tree/')) return response;
      const entries = (await response.json()) as unknown[];
      entries.push({ type: 'file', path: '../escaped.txt', oid: 'a'.repeat(40), size: 1 });
      return new Response(JSON.stringify(entries), { status: 200, headers: response.headers });
    };
    const error = await caught(pull({ fetch: hostile }));
    expect(error.code).toBe('invalid-input');
    expect(error.message).toContain('../escaped.txt');
    expect(await namesUnder(out)).toEqual([]);
    expect(resolves(hub)).toHaveLength(0);
  });
});
