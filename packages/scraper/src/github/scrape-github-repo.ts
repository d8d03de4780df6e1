import { DocumentSchema, documentId, type ScrapedDocument } from '../document.js';
import { isScraperError, ScraperError } from '../errors.js';
import { throwIfAborted } from '../http/sleep.js';
import { type ExtractFn, loadDefaultExtract } from './extract-fn.js';
import type { GitHubClient, GitHubRepo, RateLimitWait, TreeEntry } from './github-client.js';
import { parseRepoUrl } from './repo-url.js';
import { mayHoldDocFiles, type SelectDocFilesOptions, selectDocFiles } from './select-doc-files.js';

/** One step of {@link scrapeGitHubRepo}. */
export type GitHubEvent =
  | { type: 'file-scraped'; document: ScrapedDocument }
  | { type: 'file-skipped'; path: string; reason: string }
  | { type: 'file-failed'; path: string; error: { code: string; message: string } }
  | { type: 'repo-skipped'; repoUrl: string; reason: string }
  | { type: 'rate-limit-wait'; untilIso: string; waitMs: number; kind: RateLimitWait['kind'] };

/** Options of {@link scrapeGitHubRepo}. */
export interface ScrapeGitHubRepoOptions {
  client: GitHubClient;
  /** Any form {@link parseRepoUrl} reads; other forges give a `repo-skipped` event. */
  repoUrl: string;
  /** Landscape item name, or `null` for an ad-hoc scrape. */
  project: string | null;
  /** Branch, tag or commit. @default the repository's default branch */
  ref?: string;
  /** Which files to take; see {@link selectDocFiles}. */
  select?: SelectDocFilesOptions;
  /** Turns bytes into markdown. @default `extractContent` of this package */
  extract?: ExtractFn;
  /** Clock for `fetchedAt`. @default Date.now */
  now?: () => number;
  signal?: AbortSignal;
}

const CONTENT_TYPES: Record<string, string> = {
  md: 'text/markdown',
  mdx: 'text/mdx',
  markdown: 'text/markdown',
  rst: 'text/x-rst',
  adoc: 'text/asciidoc',
  asciidoc: 'text/asciidoc',
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  json: 'application/json',
  pdf: 'application/pdf',
};

/**
 * Media type of a repository file from its name: `text/markdown` for `.md`, `text/mdx`,
 * `application/pdf`, `text/x-rst`, … and `text/plain` for unknown or missing extensions
 * (`README`, `LICENSE`).
 */
export function contentTypeForPath(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const ext = dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
  return CONTENT_TYPES[ext] ?? 'text/plain';
}

/**
 * Scrapes the documentation files of one GitHub repository: reads the repository (default
 * branch, licence), lists its tree, picks files with {@link selectDocFiles}, downloads and
 * extracts each, and yields a validated {@link ScrapedDocument} per file. Files are fetched
 * one at a time, as GitHub asks of API clients to avoid secondary rate limits.
 *
 * One bad file is a `file-failed` event and the scrape goes on; a repository that is not on
 * GitHub or is not found is a `repo-skipped` event. A rate limit that would need a longer
 * wait than the client's `maxWaitMs`, or an abort, ends the scrape by throwing.
 */
export async function* scrapeGitHubRepo(
  options: ScrapeGitHubRepoOptions,
): AsyncGenerator<GitHubEvent, void, undefined> {
  const { client, repoUrl, project, signal } = options;
  const now = options.now ?? Date.now;
  const ref = parseRepoUrl(repoUrl);
  if (ref === null) {
    yield { type: 'repo-skipped', repoUrl, reason: 'skipped: not a GitHub repository' };
    return;
  }
  const { owner, repo } = ref;
  throwIfAborted(signal);

  try {
    let info: GitHubRepo;
    try {
      info = yield* withWaitEvents((onRateLimitWait) =>
        client.getRepo(owner, repo, { signal, onRateLimitWait }),
      );
    } catch (error) {
      if (isScraperError(error, 'http-error') && [404, 403, 410, 451].includes(error.status ?? 0)) {
        yield {
          type: 'repo-skipped',
          repoUrl,
          reason: `skipped: ${owner}/${repo} is not readable on GitHub (HTTP ${error.status}: deleted, renamed, private or blocked)`,
        };
        return;
      }
      throw error;
    }

    const gitRef = options.ref ?? info.defaultBranch;
    const tree = yield* withWaitEvents((onRateLimitWait) =>
      client.getTree(owner, repo, gitRef, {
        signal,
        onRateLimitWait,
        // Walking a truncated tree is one request per folder: skip folders whose files we drop.
        descend: mayHoldDocFiles,
      }),
    );
    const { selected, skipped } = selectDocFiles(tree.entries, options.select);
    for (const skip of skipped)
      yield { type: 'file-skipped', path: skip.path, reason: skip.reason };

    const extract = options.extract ?? (await loadDefaultExtract());
    for (const entry of selected) {
      throwIfAborted(signal);
      try {
        const document = yield* withWaitEvents((onRateLimitWait) =>
          scrapeFile({
            client,
            info,
            entry,
            gitRef,
            project,
            extract,
            now,
            signal,
            onRateLimitWait,
          }),
        );
        if (document === null) {
          yield { type: 'file-skipped', path: entry.path, reason: 'no text after extraction' };
        } else {
          yield { type: 'file-scraped', document };
        }
      } catch (error) {
        if (isScraperError(error, 'rate-limited') || isScraperError(error, 'aborted')) throw error;
        yield {
          type: 'file-failed',
          path: entry.path,
          error: isScraperError(error)
            ? { code: error.code, message: error.message }
            : {
                code: 'extract-failed',
                message: `Could not turn ${owner}/${repo}/${entry.path} into markdown: ${error instanceof Error ? error.message : String(error)}`,
              },
        };
      }
    }
  } finally {
    await client.flushCache();
  }
}

async function scrapeFile(input: {
  client: GitHubClient;
  info: GitHubRepo;
  entry: TreeEntry;
  gitRef: string;
  project: string | null;
  extract: ExtractFn;
  now: () => number;
  signal: AbortSignal | undefined;
  onRateLimitWait: (wait: RateLimitWait) => void;
}): Promise<ScrapedDocument | null> {
  const { client, info, entry, gitRef } = input;
  const content = await client.getContent(info.owner, info.repo, entry.path, gitRef, {
    sha: entry.sha,
    ...(entry.size === undefined ? {} : { size: entry.size }),
    signal: input.signal,
    onRateLimitWait: input.onRateLimitWait,
  });
  const contentType = contentTypeForPath(entry.path);
  const url = blobUrl(info.owner, info.repo, gitRef, entry.path);
  const extracted = await input.extract({ body: content.bytes, contentType, url });
  if (extracted.markdown.trim() === '') return null;
  const fileName = entry.path.slice(entry.path.lastIndexOf('/') + 1);
  const candidate: ScrapedDocument = {
    id: documentId(extracted.markdown),
    url,
    canonicalUrl: url,
    project: input.project,
    sourceType: contentType === 'application/pdf' ? 'whitepaper' : 'github',
    title: extracted.title.trim() === '' ? fileName : extracted.title,
    markdown: extracted.markdown,
    contentType,
    language: extracted.language ?? 'en',
    licence: info.licence,
    attribution: `${info.owner}/${info.repo} contributors, https://github.com/${info.owner}/${info.repo}`,
    fetchedAt: new Date(input.now()).toISOString(),
    etag: content.etag,
    lastModified: content.lastModified,
    httpStatus: content.status,
    bytes: content.bytes.byteLength,
    links: extracted.links,
    metadata: {
      ...(extracted.metadata as ScrapedDocument['metadata']),
      repo: `${info.owner}/${info.repo}`,
      path: entry.path,
      ref: gitRef,
      sha: content.sha,
      archived: info.archived,
      revalidated: content.fromCache,
      ...(extracted.warnings.length > 0 ? { warnings: extracted.warnings } : {}),
    },
  };
  const parsed = DocumentSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new ScraperError(
      'invalid-record',
      `The document built from ${info.owner}/${info.repo}/${entry.path} does not match DocumentSchema: ${parsed.error.message}`,
      { url },
    );
  }
  return parsed.data;
}

/** `https://github.com/{owner}/{repo}/blob/{ref}/{path}`, each path segment URL-encoded. */
export function blobUrl(owner: string, repo: string, ref: string, path: string): string {
  const encode = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  return `https://github.com/${owner}/${repo}/blob/${encode(ref)}/${encode(path)}`;
}

/**
 * Runs one client call and yields its rate-limit waits as events while it is in flight, so a
 * consumer sees "waiting until …" before the sleep, not after it. Returns the call's value.
 */
async function* withWaitEvents<T>(
  run: (onRateLimitWait: (wait: RateLimitWait) => void) => Promise<T>,
): AsyncGenerator<GitHubEvent, T, undefined> {
  const queue: GitHubEvent[] = [];
  let wake: (() => void) | undefined;
  let settled = false;
  const promise = run((wait) => {
    queue.push({
      type: 'rate-limit-wait',
      untilIso: wait.untilIso,
      waitMs: wait.waitMs,
      kind: wait.kind,
    });
    wake?.();
  });
  const done = () => {
    settled = true;
    wake?.();
  };
  promise.then(done, done);
  while (!settled || queue.length > 0) {
    if (queue.length === 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) yield event;
  }
  return await promise;
}
