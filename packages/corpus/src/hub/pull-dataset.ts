import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { downloadFile } from '@huggingface/hub';
import { z } from 'zod';
import { CorpusError } from '../errors.js';
import { DigestHasher } from './git-hash.js';
import {
  DatasetRepoSchema,
  getRepoRefs,
  type HubCallOptions,
  listRemoteFiles,
  RefNameSchema,
  type RemoteFile,
} from './hub-api.js';
import { resolveAccessToken, resolveHubUrl } from './hub-credentials.js';
import { throwIfAborted, toHubError } from './hub-error.js';
import { createHubFetch } from './hub-fetch.js';
import { CallbackSchema, FetchSchema, parseOptions, SignalSchema } from './hub-options.js';
import { compareCodeUnits, hashFile, PARTIAL_SUFFIX } from './local-files.js';

/** Options of {@link pullDataset}. */
export interface PullDatasetOptions {
  /** `namespace/name` of the dataset repository. */
  repo: string;
  /** Branch, tag or commit to pull. @default 'main' */
  revision?: string;
  /** Folder to write into (created when missing). Files already there with the right content are kept. */
  dir: string;
  /** Needed for private repositories only. @default process.env.HF_TOKEN */
  accessToken?: string;
  /** @default process.env.HF_ENDPOINT, else 'https://huggingface.co' */
  hubUrl?: string;
  /** Downloads in flight at once. @default 4 */
  concurrency?: number;
  /** Tries after a 408/425/429/5xx or a network error, per request. @default 3 */
  maxRetries?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Called once per file. */
  onProgress?: (event: PullEvent) => void;
}

/** What {@link pullDataset} reports per file. */
export type PullEvent =
  | { type: 'file-downloaded'; path: string; bytes: number }
  | { type: 'file-unchanged'; path: string; bytes: number };

/** One file of a pulled dataset, verified. */
export interface PulledFile {
  /** Repository path. */
  path: string;
  bytes: number;
  sha256: string;
  /** False when the local copy already had the listed checksum. */
  downloaded: boolean;
}

/** What {@link pullDataset} wrote. */
export interface PullDatasetResult {
  /** By path. */
  files: PulledFile[];
  /** The commit the files come from (the revision resolved once, before any download). */
  commit: string;
}

const PullDatasetOptionsSchema = z.object({
  repo: DatasetRepoSchema,
  revision: RefNameSchema.default('main'),
  dir: z.string().min(1),
  accessToken: z.string().optional(),
  hubUrl: z.url().optional(),
  concurrency: z.number().int().positive().max(32).default(4),
  maxRetries: z.number().int().nonnegative().default(3),
  fetch: FetchSchema.optional(),
  signal: SignalSchema.optional(),
  onProgress: CallbackSchema.optional(),
});

/**
 * Downloads every file of a Hub dataset repository at one commit into `dir`, verifying each
 * against the tree listing: LFS files against their SHA-256 oid, regular files against their
 * git blob SHA-1. Each file is written to a temporary name beside its target and renamed into
 * place only once verified, so `dir` never holds a partial or unverified file.
 *
 * @throws CorpusError `checksum-mismatch` naming the file whose bytes differ from the listing
 *   (nothing written for it), `hub-error` (missing repository or revision, refusals; the token
 *   never included), `invalid-input` (a listed path that would land outside `dir`), `io-error`,
 *   `aborted`.
 */
export async function pullDataset(options: PullDatasetOptions): Promise<PullDatasetResult> {
  const opts = parseOptions(PullDatasetOptionsSchema, options, 'pullDataset');
  const token = resolveAccessToken(opts.accessToken, { required: false });
  const hubUrl = resolveHubUrl(opts.hubUrl);
  // One failed file stops the others: their temporary files are removed as they unwind.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const fetch = createHubFetch({
    ...(opts.fetch && { fetch: opts.fetch }),
    signal,
    maxRetries: opts.maxRetries,
  });
  const call: HubCallOptions = { hubUrl, accessToken: token, fetch };
  const step = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      throwIfAborted(opts.signal, action);
      return await run();
    } catch (error) {
      throw toHubError(error, { action, hubUrl, token });
    }
  };

  const commit = await step(`resolving ${opts.repo}@${opts.revision}`, () =>
    resolveCommit(opts.repo, opts.revision, call),
  );
  const remote = await step(`listing the files of ${opts.repo}@${opts.revision}`, () =>
    listRemoteFiles(opts.repo, commit, call),
  );
  const root = resolve(opts.dir);
  const files = [...remote.values()].sort((a, b) => compareCodeUnits(a.path, b.path));
  // Check every path before writing any file.
  const targets = files.map((file) => targetPath(root, file.path));
  const results: PulledFile[] = new Array(files.length);

  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next;
      next += 1;
      const file = files[index] as RemoteFile;
      const result = await pullFile(file, targets[index] as string, {
        repo: opts.repo,
        commit,
        call,
        step,
        signal,
      });
      results[index] = result;
      options.onProgress?.({
        type: result.downloaded ? 'file-downloaded' : 'file-unchanged',
        path: file.path,
        bytes: file.size,
      });
    }
  };
  const workers = Array.from({ length: Math.min(opts.concurrency, files.length) }, () =>
    worker().catch((error: unknown) => {
      stop.abort(error);
      throw error;
    }),
  );
  const settled = await Promise.allSettled(workers);
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) {
    // The first failure caused the others' aborts; report it, not them.
    throw (stop.signal.reason ?? (failure as PromiseRejectedResult).reason) as unknown;
  }
  return { files: results, commit };
}

interface PullContext {
  repo: string;
  commit: string;
  call: HubCallOptions;
  step: <T>(action: string, run: () => Promise<T>) => Promise<T>;
  signal: AbortSignal;
}

async function pullFile(
  file: RemoteFile,
  target: string,
  context: PullContext,
): Promise<PulledFile> {
  const expected = expectedDigest(file, context.repo);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isFile() && existing.size === file.size) {
    const digests = await hashFile(target, file.size);
    if (digests[expected.kind] === expected.value) {
      return { path: file.path, bytes: file.size, sha256: digests.sha256, downloaded: false };
    }
  }

  const where = `${context.repo}@${context.commit.slice(0, 12)}`;
  const blob = await context.step(`downloading ${file.path} from ${where}`, () =>
    downloadFile({
      repo: { type: 'dataset', name: context.repo },
      path: file.path,
      revision: context.commit,
      hubUrl: context.call.hubUrl,
      fetch: context.call.fetch,
      ...(context.call.accessToken !== undefined && { accessToken: context.call.accessToken }),
    }),
  );
  if (blob === null) {
    throw new CorpusError(
      'hub-error',
      `${file.path} is listed in ${where} but the Hub does not serve it (404): pull again.`,
      { status: 404 },
    );
  }

  const temporary = `${target}.${randomBytes(6).toString('hex')}${PARTIAL_SUFFIX}`;
  const hasher = new DigestHasher(file.size);
  try {
    await mkdir(dirname(target), { recursive: true });
    await context.step(`downloading ${file.path} from ${where}`, () =>
      pipeline(
        Readable.fromWeb(blob.stream() as WebReadableStream<Uint8Array>),
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hasher.update(chunk);
            done(null, chunk);
          },
        }),
        createWriteStream(temporary),
        { signal: context.signal },
      ).catch((error: unknown) => {
        // The client's blob stream errors with a bare message string.
        throw error instanceof Error ? error : new Error(String(error));
      }),
    );
    const digests = hasher.digest();
    if (digests.bytes !== file.size || digests[expected.kind] !== expected.value) {
      const got = digests.bytes !== file.size ? `${digests.bytes} bytes` : digests[expected.kind];
      const want = digests.bytes !== file.size ? `${file.size} bytes` : expected.value;
      throw new CorpusError(
        'checksum-mismatch',
        `${file.path} from ${where} does not match the Hub's listing (${expected.label} ${got}, expected ${want}); it was not written. Pull again; if it persists, the remote copy is damaged.`,
      );
    }
    await rename(temporary, target);
    return { path: file.path, bytes: file.size, sha256: digests.sha256, downloaded: true };
  } catch (error) {
    await rm(temporary, { force: true });
    if (error instanceof CorpusError) throw error;
    throw new CorpusError('io-error', `Could not write ${target}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** What a file must hash to: the LFS SHA-256 oid, else the git blob SHA-1. */
function expectedDigest(
  file: RemoteFile,
  repo: string,
): { kind: 'sha256' | 'gitSha1'; value: string; label: string } {
  if (file.lfs !== undefined) return { kind: 'sha256', value: file.lfs.oid, label: 'sha256' };
  if (file.oid !== undefined) return { kind: 'gitSha1', value: file.oid, label: 'git blob sha1' };
  throw new CorpusError(
    'hub-error',
    `The Hub lists ${file.path} in ${repo} without a checksum, so it cannot be verified; nothing was written.`,
  );
}

/** The commit a branch, tag or commit id names, looked up once so every file comes from it. */
async function resolveCommit(
  repo: string,
  revision: string,
  call: HubCallOptions,
): Promise<string> {
  if (/^[0-9a-f]{40}$/.test(revision)) return revision;
  const refs = await getRepoRefs(repo, call);
  const ref = [...refs.branches, ...refs.tags].find((candidate) => candidate.name === revision);
  if (ref === undefined) {
    throw new CorpusError('hub-error', `${repo} has no branch or tag named ${revision}.`, {
      status: 404,
    });
  }
  return ref.targetCommit;
}

/** Where a repository path lands under `root`; refuses paths that would escape it. */
function targetPath(root: string, path: string): string {
  const target = resolve(root, path);
  const inside = relative(root, target);
  if (
    path.includes('\\') ||
    isAbsolute(path) ||
    inside === '' ||
    inside.startsWith(`..${sep}`) ||
    inside === '..' ||
    isAbsolute(inside)
  ) {
    throw new CorpusError(
      'invalid-input',
      `The Hub lists a file at ${JSON.stringify(path)}, which would be written outside ${root}: refusing to pull.`,
    );
  }
  return target;
}
