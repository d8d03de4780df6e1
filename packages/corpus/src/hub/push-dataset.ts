import { openAsBlob } from 'node:fs';
import {
  type CommitOperation,
  type CommitOutput,
  commitIter,
  createBranch,
  createRepo,
  datasetInfo,
  HubApiError,
  whoAmI,
} from '@huggingface/hub';
import { z } from 'zod';
import { CorpusError } from '../errors.js';
import type { FileDigests } from './git-hash.js';
import {
  createRepoTag,
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
import { hashFile, type LocalFile, listLocalFiles } from './local-files.js';
import { planCommits } from './plan-commits.js';

/** Default {@link PushDatasetOptions.maxBytesPerCommit}: 2 GiB. */
export const DEFAULT_MAX_BYTES_PER_COMMIT = 2 * 1024 ** 3;
/** Default {@link PushDatasetOptions.maxFilesPerCommit}. */
export const DEFAULT_MAX_FILES_PER_COMMIT = 100;

/** Options of {@link pushDataset}. */
export interface PushDatasetOptions {
  /** A dataset folder: `README.md` (the card) and `data/*.parquet`, plus anything else to publish. */
  dir: string;
  /** `namespace/name` of the dataset repository; created when missing. */
  repo: string;
  /** A Hub token with write access. @default process.env.HF_TOKEN */
  accessToken?: string;
  /** @default process.env.HF_ENDPOINT, else 'https://huggingface.co' */
  hubUrl?: string;
  /**
   * Visibility of a repository this push creates. With `true`, pushing to an existing public
   * repository is refused rather than publishing data meant to be private.
   * @default the namespace's default (public for most)
   */
  private?: boolean;
  /** Branch to commit to; created from the default branch when missing. @default 'main' */
  revision?: string;
  /** A tag to create on the commit the push ends at. An existing tag is never moved. */
  tag?: string;
  /** Message of the tag. */
  tagMessage?: string;
  /** Commit title; `(i/n)` is appended when the push takes several commits. @default 'Upload dataset' */
  commitMessage?: string;
  /** Split the upload into commits of at most this many bytes (one file is never split). @default 2 GiB */
  maxBytesPerCommit?: number;
  /** Split the upload into commits of at most this many files. @default 100 */
  maxFilesPerCommit?: number;
  /**
   * Remote files missing from `dir` to delete: those under `data/` (stale shards of an earlier
   * export, which `data_files` globs would otherwise still load), all of them (`.gitattributes`
   * excepted), or none.
   * @default 'data'
   */
  prune?: 'data' | 'all' | 'none';
  /** Tries after a 408/425/429/5xx or a network error, per request. @default 3 */
  maxRetries?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Called with every {@link PushEvent}. */
  onProgress?: (event: PushEvent) => void;
}

/** What {@link pushDatasetIter} reports as it goes. */
export type PushEvent =
  | { type: 'repo-ready'; repo: string; repoUrl: string; created: boolean }
  | { type: 'file-hashed'; path: string; bytes: number; sha256: string; changed: boolean }
  | {
      type: 'plan-made';
      changed: number;
      unchanged: number;
      deleted: number;
      commits: number;
      bytes: number;
    }
  | { type: 'file-uploaded'; path: string; bytes: number }
  | {
      type: 'commit-created';
      index: number;
      total: number;
      oid: string;
      files: number;
      bytes: number;
    }
  | { type: 'tag-created'; tag: string; oid: string };

/** One commit a push made. */
export interface PushedCommit {
  oid: string;
  /** Files added or updated. */
  files: number;
  bytes: number;
  /** Files deleted. */
  deleted: number;
}

/** What {@link pushDataset} did. */
export interface PushDatasetResult {
  repoUrl: string;
  /** The branch committed to. */
  revision: string;
  /** In order; empty when the remote already held every file. */
  commits: PushedCommit[];
  /** The commit `revision` points at after the push. */
  head: string | undefined;
  /** Whether this push created the repository. */
  repoCreated: boolean;
  /** Paths whose remote copy was already identical. */
  unchanged: string[];
  /** Remote paths deleted (see {@link PushDatasetOptions.prune}). */
  deleted: string[];
  /** The tag, when one was asked for. */
  tag?: string;
}

const PushDatasetOptionsSchema = z.object({
  dir: z.string().min(1),
  repo: DatasetRepoSchema,
  accessToken: z.string().optional(),
  hubUrl: z.url().optional(),
  private: z.boolean().optional(),
  revision: RefNameSchema.default('main'),
  tag: RefNameSchema.optional(),
  tagMessage: z.string().optional(),
  commitMessage: z.string().trim().min(1).default('Upload dataset'),
  maxBytesPerCommit: z.number().int().positive().default(DEFAULT_MAX_BYTES_PER_COMMIT),
  maxFilesPerCommit: z.number().int().positive().default(DEFAULT_MAX_FILES_PER_COMMIT),
  prune: z.enum(['data', 'all', 'none']).default('data'),
  maxRetries: z.number().int().nonnegative().default(3),
  fetch: FetchSchema.optional(),
  signal: SignalSchema.optional(),
  onProgress: CallbackSchema.optional(),
});

interface HashedFile extends LocalFile {
  digests: FileDigests;
}

/**
 * Publishes a dataset folder to a Hub dataset repository with `@huggingface/hub`, yielding
 * progress as it goes. The repository is created when missing, the branch too; only files whose
 * remote copy differs are uploaded (sizes and SHA-256/git oids compared against the tree
 * listing), so pushing again is cheap; uploads are split into several commits by
 * `maxBytesPerCommit`/`maxFilesPerCommit`, each on top of the previous one (`parentCommit`), so a
 * concurrent push fails instead of interleaving.
 *
 * @returns the {@link PushDatasetResult} as the generator's return value.
 * @throws CorpusError `invalid-options` (bad options, no token: names `HF_TOKEN`), `invalid-input`
 *   (no `README.md`, unreadable folder), `hub-error` (the Hub refused; `status` and `url` set,
 *   the token never included), `aborted`.
 */
export async function* pushDatasetIter(
  options: PushDatasetOptions,
): AsyncGenerator<PushEvent, PushDatasetResult> {
  const opts = parseOptions(PushDatasetOptionsSchema, options, 'pushDataset');
  const token = resolveAccessToken(opts.accessToken, { required: true }) as string;
  const hubUrl = resolveHubUrl(opts.hubUrl);
  const repo = { type: 'dataset', name: opts.repo } as const;
  const revision = opts.revision;
  const fetch = createHubFetch({
    ...(opts.fetch && { fetch: opts.fetch }),
    ...(opts.signal && { signal: opts.signal }),
    maxRetries: opts.maxRetries,
  });
  const call: HubCallOptions = { hubUrl, accessToken: token, fetch };
  const client = { hubUrl, accessToken: token, fetch };
  const step = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      throwIfAborted(opts.signal, action);
      return await run();
    } catch (error) {
      throw toHubError(error, { action, hubUrl, token });
    }
  };

  // The folder first: a missing card should fail before anything touches the Hub.
  const local = await listLocalFiles(opts.dir);
  if (!local.some((file) => file.path === 'README.md')) {
    throw new CorpusError(
      'invalid-input',
      `${opts.dir} has no README.md: a Hub dataset needs its dataset card; export the dataset again or add one.`,
    );
  }

  const me = await step('checking the access token', () => whoAmI(client));
  if (me.auth.accessToken?.role === 'read') {
    throw new CorpusError(
      'invalid-options',
      `The token in ${opts.accessToken ? 'accessToken' : 'HF_TOKEN'} is read-only: pushing to ${opts.repo} needs a token with write access.`,
    );
  }

  let repoCreated = false;
  let repoUrl = `${hubUrl}/datasets/${opts.repo}`;
  try {
    throwIfAborted(opts.signal, `creating dataset repo ${opts.repo}`);
    const created = await createRepo({
      repo,
      ...client,
      ...(opts.private !== undefined && { private: opts.private }),
    });
    repoCreated = true;
    if (created.repoUrl) repoUrl = created.repoUrl;
  } catch (error) {
    if (!(error instanceof HubApiError && error.statusCode === 409)) {
      throw toHubError(error, { action: `creating dataset repo ${opts.repo}`, hubUrl, token });
    }
  }
  if (!repoCreated && opts.private === true) {
    const info = await step(`reading dataset repo ${opts.repo}`, () =>
      datasetInfo({ name: opts.repo, ...client }),
    );
    if (!info.private) {
      throw new CorpusError(
        'invalid-options',
        `${opts.repo} exists and is public, but private: true was asked: nothing was pushed. Make the repository private on the Hub first, or push with private: false.`,
      );
    }
  }
  yield { type: 'repo-ready', repo: opts.repo, repoUrl, created: repoCreated };

  let refs = await step(`reading the branches of ${opts.repo}`, () => getRepoRefs(opts.repo, call));
  if (!refs.branches.some((branch) => branch.name === revision)) {
    await step(`creating branch ${revision} on ${opts.repo}`, async () => {
      try {
        await createBranch({ repo, branch: revision, ...client });
      } catch (error) {
        // Someone created it between our look and now: the same outcome.
        if (!(error instanceof HubApiError && error.statusCode === 409)) throw error;
      }
    });
    refs = await step(`reading the branches of ${opts.repo}`, () => getRepoRefs(opts.repo, call));
  }
  const startHead = refs.branches.find((branch) => branch.name === revision)?.targetCommit;
  // Listing at the head commit, not the branch name, pins the comparison to the commit the
  // first upload builds on.
  const remote =
    startHead === undefined
      ? new Map<string, RemoteFile>()
      : await step(`listing the files of ${opts.repo}@${revision}`, () =>
          listRemoteFiles(opts.repo, startHead, call),
        );

  const changed: HashedFile[] = [];
  const unchanged: string[] = [];
  for (const file of local) {
    throwIfAborted(opts.signal, `hashing ${file.path}`);
    const digests = await hashFile(file.absolutePath, file.bytes);
    const same = isSameContent(remote.get(file.path), digests);
    if (same) unchanged.push(file.path);
    else changed.push({ ...file, digests });
    yield {
      type: 'file-hashed',
      path: file.path,
      bytes: file.bytes,
      sha256: digests.sha256,
      changed: !same,
    };
  }
  const localPaths = new Set(local.map((file) => file.path));
  const deletions = [...remote.keys()].filter(
    (path) =>
      !localPaths.has(path) &&
      path !== '.gitattributes' &&
      (opts.prune === 'all' || (opts.prune === 'data' && path.startsWith('data/'))),
  );
  const plans = planCommits(changed, deletions, {
    maxBytes: opts.maxBytesPerCommit,
    maxFiles: opts.maxFilesPerCommit,
  });
  yield {
    type: 'plan-made',
    changed: changed.length,
    unchanged: unchanged.length,
    deleted: deletions.length,
    commits: plans.length,
    bytes: changed.reduce((sum, file) => sum + file.bytes, 0),
  };

  const commits: PushedCommit[] = [];
  let head = startHead;
  for (const [index, plan] of plans.entries()) {
    const operations: CommitOperation[] = [];
    for (const file of plan.files) {
      operations.push({
        operation: 'addOrUpdate',
        path: file.path,
        content: await openAsBlob(file.absolutePath),
      });
    }
    for (const path of plan.deletions) operations.push({ operation: 'delete', path });
    const title =
      plans.length === 1
        ? opts.commitMessage
        : `${opts.commitMessage} (${index + 1}/${plans.length})`;
    const sizes = new Map(plan.files.map((file) => [file.path, file.bytes]));
    const uploaded = new Set<string>();
    const action = `committing ${plan.files.length} file(s) to ${opts.repo}@${revision} (commit ${index + 1} of ${plans.length})`;
    throwIfAborted(opts.signal, action);
    const iterator = commitIter({
      repo,
      operations,
      title,
      description: `${plan.files.length} file(s) added or updated, ${plan.deletions.length} deleted; pushed by @cncf-llm/corpus.`,
      branch: revision,
      ...(head !== undefined && { parentCommit: head }),
      ...client,
      ...(opts.signal && { abortSignal: opts.signal }),
    });
    let output: CommitOutput | undefined;
    for (;;) {
      let next: IteratorResult<unknown, CommitOutput | undefined>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw toHubError(error, { action, hubUrl, token });
      }
      if (next.done) {
        output = next.value;
        break;
      }
      const event = next.value as {
        event: string;
        path?: string;
        progress?: number;
        state?: string;
      };
      if (
        event.event === 'fileProgress' &&
        event.state === 'uploading' &&
        event.progress === 1 &&
        event.path !== undefined &&
        !uploaded.has(event.path)
      ) {
        uploaded.add(event.path);
        yield { type: 'file-uploaded', path: event.path, bytes: sizes.get(event.path) ?? 0 };
      }
    }
    if (output === undefined) {
      throw new CorpusError('hub-error', `The Hub answered no commit while ${action}.`);
    }
    head = output.commit.oid;
    commits.push({
      oid: head,
      files: plan.files.length,
      bytes: plan.bytes,
      deleted: plan.deletions.length,
    });
    yield {
      type: 'commit-created',
      index,
      total: plans.length,
      oid: head,
      files: plan.files.length,
      bytes: plan.bytes,
    };
  }

  if (opts.tag !== undefined) {
    const tag = opts.tag;
    const target = head;
    if (target === undefined) {
      throw new CorpusError('hub-error', `${opts.repo}@${revision} has no commit to tag ${tag}.`);
    }
    const created = await step(
      `tagging ${opts.repo}@${target.slice(0, 12)} as ${tag}`,
      async () => {
        try {
          await createRepoTag(
            opts.repo,
            {
              tag,
              revision: target,
              ...(opts.tagMessage !== undefined && { message: opts.tagMessage }),
            },
            call,
          );
          return true;
        } catch (error) {
          if (!(error instanceof HubApiError && error.statusCode === 409)) throw error;
          return false;
        }
      },
    );
    if (created) {
      yield { type: 'tag-created', tag, oid: target };
    } else {
      // Re-running a push with the same tag is fine when nothing changed; moving a tag is not.
      const current = (
        await step(`reading the tags of ${opts.repo}`, () => getRepoRefs(opts.repo, call))
      ).tags.find((ref) => ref.name === tag);
      if (current?.targetCommit !== target) {
        throw new CorpusError(
          'hub-error',
          `Tag ${tag} already exists on ${opts.repo} at another commit (${current?.targetCommit.slice(0, 12) ?? 'unknown'}); tags are never moved: choose a new tag.`,
          { status: 409 },
        );
      }
    }
  }

  return {
    repoUrl,
    revision,
    commits,
    head,
    repoCreated,
    unchanged,
    deleted: deletions,
    ...(opts.tag !== undefined && { tag: opts.tag }),
  };
}

/**
 * {@link pushDatasetIter}, drained: calls `onProgress` with each event and returns the result.
 *
 * @example
 * ```ts
 * const { repoUrl, commits } = await pushDataset({ dir: 'out/dataset', repo: 'cncf-llm/cncf-docs' });
 * ```
 */
export async function pushDataset(options: PushDatasetOptions): Promise<PushDatasetResult> {
  const iterator = pushDatasetIter(options);
  for (;;) {
    const next = await iterator.next();
    if (next.done) return next.value;
    options.onProgress?.(next.value);
  }
}

/** Whether the remote file holds exactly `local`'s bytes. */
function isSameContent(remote: RemoteFile | undefined, local: FileDigests): boolean {
  if (remote === undefined || remote.size !== local.bytes) return false;
  if (remote.lfs !== undefined)
    return remote.lfs.oid === local.sha256 && remote.lfs.size === local.bytes;
  return remote.oid === local.gitSha1;
}
