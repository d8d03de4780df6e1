import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type RecordedRequest, startHttpStandIn } from './http-stand-in.js';

/** A repository the stand-in serves. */
export interface GitHubStandInRepo {
  owner: string;
  repo: string;
  /** @default 'main' */
  defaultBranch?: string;
  /** SPDX id; `null` for no licence. @default 'Apache-2.0' */
  licence?: string | null;
  /** @default false */
  archived?: boolean;
  /** File path → content. Folders are implied by the paths. */
  files: Record<string, Uint8Array | string>;
}

/** Options of {@link startGitHubStandIn}. */
export interface GitHubStandInOptions {
  repos: GitHubStandInRepo[];
  /** Primary limit: after `limit` counted requests every request gets GitHub's 403 until the reset. @default 5000 per hour */
  rateLimit?: { limit: number; resetInSeconds?: number };
  /** Answer matching requests with a secondary-limit response, `times` times. */
  secondaryLimitOn?: {
    /** Substring of, or pattern for, the request path. @default every path */
    path?: string | RegExp;
    /** @default 1 */
    times?: number;
    /** @default 403 */
    status?: 403 | 429;
    /** Seconds in `retry-after`; `null` sends none. @default 60 */
    retryAfterSeconds?: number | null;
  };
  /** Answer 401 "Bad credentials" unless `Authorization: Bearer <this>` is sent. */
  requireToken?: string;
  /** Cut recursive tree listings after this many entries and mark them `truncated`. */
  truncateTreesAfter?: number;
  /** Clock in epoch ms, for the rate-limit window. Share it with the client's `now` in tests. @default Date.now */
  now?: () => number;
}

/** A running GitHub stand-in. */
export interface GitHubStandIn {
  /** Pass as the client's `baseUrl`. */
  baseUrl: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** The current primary-limit window: reset in epoch seconds, requests used. */
  rateLimitState(): { limit: number; used: number; reset: number };
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
const ONE_MB = 1024 * 1024;

interface StandInFile {
  path: string;
  bytes: Uint8Array;
  sha: string;
}

interface StandInRepo {
  owner: string;
  repo: string;
  defaultBranch: string;
  licence: string | null;
  archived: boolean;
  files: Map<string, StandInFile>;
  directories: Set<string>;
  treeSha: string;
  blobs: Map<string, StandInFile>;
  truncateAfter: number | undefined;
}

/**
 * Starts a GitHub REST API stand-in on 127.0.0.1: `GET /repos/{o}/{r}`, `/git/trees/{ref}`
 * (`recursive=1`), `/contents/{path}?ref=` (JSON with base64 content, or raw bytes with a
 * `.raw` Accept; folder listings), and `/git/blobs/{sha}`. It sends GitHub's rate-limit headers
 * and `etag`s, answers `304` to a matching `If-None-Match` without counting it, runs out of
 * primary quota after `rateLimit.limit` requests (GitHub's 403 body and headers), can answer
 * secondary limits, and gives 404s in GitHub's shape. Blob SHAs are real git SHA-1s.
 */
export async function startGitHubStandIn(options: GitHubStandInOptions): Promise<GitHubStandIn> {
  const now = options.now ?? Date.now;
  const limit = options.rateLimit?.limit ?? 5000;
  const resetIn = options.rateLimit?.resetInSeconds ?? 3600;
  let used = 0;
  let reset = Math.floor(now() / 1000) + resetIn;
  let secondaryLeft = options.secondaryLimitOn?.times ?? (options.secondaryLimitOn ? 1 : 0);
  const repos = options.repos.map((repo) => buildRepo(repo, options.truncateTreesAfter));

  const rollWindow = () => {
    if (now() >= reset * 1000) {
      used = 0;
      reset = Math.floor(now() / 1000) + resetIn;
    }
  };

  const server = await startHttpStandIn((request, response, url) => {
    const origin = `http://${request.headers.host ?? '127.0.0.1'}`;
    rollWindow();
    const rateHeaders = (): Record<string, string> => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - used)),
      'x-ratelimit-used': String(used),
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
    });
    const auth = request.headers.authorization;
    const authenticated = auth !== undefined;
    if (options.requireToken !== undefined && auth !== `Bearer ${options.requireToken}`) {
      sendJson(response, 401, rateHeaders(), {
        message: 'Bad credentials',
        documentation_url: DOCS,
        status: '401',
      });
      return;
    }

    const secondary = options.secondaryLimitOn;
    if (secondary !== undefined && secondaryLeft > 0 && matches(secondary.path, url.pathname)) {
      secondaryLeft -= 1;
      const retryAfter =
        secondary.retryAfterSeconds === undefined ? 60 : secondary.retryAfterSeconds;
      sendJson(
        response,
        secondary.status ?? 403,
        { ...rateHeaders(), ...(retryAfter === null ? {} : { 'retry-after': String(retryAfter) }) },
        {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
        },
      );
      return;
    }

    if (used >= limit) {
      sendJson(response, 403, rateHeaders(), {
        message: authenticated
          ? 'API rate limit exceeded for user ID 1.'
          : "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)",
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
      });
      return;
    }

    const answer = route(repos, url, request.headers.accept ?? '', origin);
    if (answer.status === 200 && request.headers['if-none-match'] === answer.etag) {
      response.writeHead(304, { ...rateHeaders(), etag: answer.etag });
      response.end();
      return;
    }
    used += 1;
    response.writeHead(answer.status, {
      ...rateHeaders(),
      'content-type': answer.contentType,
      ...(answer.status === 200 ? { etag: answer.etag } : {}),
    });
    response.end(answer.body);
  });

  return {
    baseUrl: server.origin,
    requests: server.requests,
    rateLimitState: () => ({ limit, used, reset }),
    close: server.close,
  };
}

interface Answer {
  status: number;
  body: Uint8Array | string;
  contentType: string;
  etag: string;
}

function route(repos: StandInRepo[], url: URL, accept: string, origin: string): Answer {
  const match = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
  if (match === null) return notFound();
  const owner = decodeURIComponent(match[1] as string).toLowerCase();
  const name = decodeURIComponent(match[2] as string).toLowerCase();
  const repo = repos.find((r) => r.owner.toLowerCase() === owner && r.repo.toLowerCase() === name);
  if (repo === undefined) return notFound();
  const rest = match[3] ?? '';
  const raw = /application\/vnd\.github(?:\.v3)?\.raw/.test(accept);
  const apiRepo = `${origin}/repos/${repo.owner}/${repo.repo}`;

  if (rest === '' || rest === '/') return json(repoJson(repo, apiRepo));

  const tree = /^\/git\/trees\/(.+)$/.exec(rest);
  if (tree !== null) {
    const ref = decodeURIComponent(tree[1] as string);
    if (ref !== repo.defaultBranch && ref !== repo.treeSha) return notFound();
    const recursive = ['1', 'true'].includes(url.searchParams.get('recursive') ?? '');
    return json(treeJson(repo, recursive, apiRepo));
  }

  const blob = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest);
  if (blob !== null) {
    const file = repo.blobs.get(blob[1] as string);
    if (file === undefined) return notFound();
    if (raw) return rawFile(file);
    return json({
      sha: file.sha,
      node_id: `B_${file.sha.slice(0, 12)}`,
      size: file.bytes.byteLength,
      url: `${apiRepo}/git/blobs/${file.sha}`,
      content: base64Lines(file.bytes),
      encoding: 'base64',
    });
  }

  const contents = /^\/contents(?:\/(.*))?$/.exec(rest);
  if (contents !== null) {
    const ref = url.searchParams.get('ref');
    if (ref !== null && ref !== repo.defaultBranch) return notFound();
    const path = decodeURIComponent(contents[1] ?? '').replace(/\/+$/, '');
    const file = repo.files.get(path);
    if (file !== undefined) {
      if (raw) return rawFile(file);
      return json(contentsFileJson(repo, file, apiRepo));
    }
    if (path === '' || repo.directories.has(path)) {
      return json(listDirectory(repo, path, apiRepo));
    }
    return notFound();
  }
  return notFound();
}

function repoJson(repo: StandInRepo, apiRepo: string) {
  return {
    id: Number.parseInt(repo.treeSha.slice(0, 7), 16),
    node_id: `R_${repo.treeSha.slice(0, 12)}`,
    name: repo.repo,
    full_name: `${repo.owner}/${repo.repo}`,
    private: false,
    owner: { login: repo.owner, type: 'Organization' },
    html_url: `https://github.com/${repo.owner}/${repo.repo}`,
    description: null,
    fork: false,
    url: apiRepo,
    default_branch: repo.defaultBranch,
    archived: repo.archived,
    disabled: false,
    visibility: 'public',
    license:
      repo.licence === null
        ? null
        : { key: repo.licence.toLowerCase(), name: repo.licence, spdx_id: repo.licence },
  };
}

function treeJson(repo: StandInRepo, recursive: boolean, apiRepo: string) {
  const entries: Record<string, unknown>[] = [];
  for (const directory of [...repo.directories].sort()) {
    if (!recursive && directory.includes('/')) continue;
    const sha = sha1(`tree ${directory}`);
    entries.push({
      path: directory,
      mode: '040000',
      type: 'tree',
      sha,
      url: `${apiRepo}/git/trees/${sha}`,
    });
  }
  for (const file of [...repo.files.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    if (!recursive && file.path.includes('/')) continue;
    entries.push({
      path: file.path,
      mode: '100644',
      type: 'blob',
      sha: file.sha,
      size: file.bytes.byteLength,
      url: `${apiRepo}/git/blobs/${file.sha}`,
    });
  }
  entries.sort((a, b) => String(a.path).localeCompare(String(b.path)));
  const cut = repo.truncateAfter;
  const truncated = recursive && cut !== undefined && entries.length > cut;
  return {
    sha: repo.treeSha,
    url: `${apiRepo}/git/trees/${repo.treeSha}`,
    tree: truncated ? entries.slice(0, cut) : entries,
    truncated,
  };
}

function contentsFileJson(repo: StandInRepo, file: StandInFile, apiRepo: string) {
  const big = file.bytes.byteLength > ONE_MB;
  return {
    type: 'file',
    encoding: big ? 'none' : 'base64',
    size: file.bytes.byteLength,
    name: file.path.slice(file.path.lastIndexOf('/') + 1),
    path: file.path,
    content: big ? '' : base64Lines(file.bytes),
    sha: file.sha,
    url: `${apiRepo}/contents/${file.path}?ref=${repo.defaultBranch}`,
    git_url: `${apiRepo}/git/blobs/${file.sha}`,
    html_url: `https://github.com/${repo.owner}/${repo.repo}/blob/${repo.defaultBranch}/${file.path}`,
    download_url: `https://raw.githubusercontent.com/${repo.owner}/${repo.repo}/${repo.defaultBranch}/${file.path}`,
  };
}

function listDirectory(repo: StandInRepo, directory: string, apiRepo: string) {
  const prefix = directory === '' ? '' : `${directory}/`;
  const direct = (path: string) =>
    path.startsWith(prefix) && !path.slice(prefix.length).includes('/');
  const items: Record<string, unknown>[] = [];
  for (const sub of repo.directories) {
    if (!direct(sub)) continue;
    items.push({
      type: 'dir',
      name: sub.slice(prefix.length),
      path: sub,
      sha: sha1(`tree ${sub}`),
      size: 0,
      url: `${apiRepo}/contents/${sub}`,
    });
  }
  for (const file of repo.files.values()) {
    if (!direct(file.path)) continue;
    items.push({
      type: 'file',
      name: file.path.slice(prefix.length),
      path: file.path,
      sha: file.sha,
      size: file.bytes.byteLength,
      url: `${apiRepo}/contents/${file.path}`,
    });
  }
  return items.sort((a, b) => String(a.path).localeCompare(String(b.path)));
}

function buildRepo(input: GitHubStandInRepo, truncateAfter: number | undefined): StandInRepo {
  const files = new Map<string, StandInFile>();
  const blobs = new Map<string, StandInFile>();
  const directories = new Set<string>();
  for (const [path, content] of Object.entries(input.files)) {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const file = { path, bytes, sha: gitBlobSha(bytes) };
    files.set(path, file);
    blobs.set(file.sha, file);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) directories.add(parts.slice(0, i).join('/'));
  }
  const treeSha = sha1(
    [...files.values()]
      .map((f) => `${f.path}:${f.sha}`)
      .sort()
      .join('\n'),
  );
  return {
    owner: input.owner,
    repo: input.repo,
    defaultBranch: input.defaultBranch ?? 'main',
    licence: input.licence === undefined ? 'Apache-2.0' : input.licence,
    archived: input.archived ?? false,
    files,
    directories,
    treeSha,
    blobs,
    truncateAfter,
  };
}

/** The SHA-1 git gives a blob: `sha1("blob <size>\0" + bytes)`. */
export function gitBlobSha(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

// GitHub wraps base64 content at 60 characters.
function base64Lines(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('base64');
  return `${text.replace(/.{60}/g, '$&\n')}\n`;
}

function json(value: unknown): Answer {
  const body = JSON.stringify(value);
  return {
    status: 200,
    body,
    contentType: 'application/json; charset=utf-8',
    etag: `W/"${createHash('sha256').update(body).digest('hex')}"`,
  };
}

function rawFile(file: StandInFile): Answer {
  return {
    status: 200,
    body: file.bytes,
    contentType: 'application/vnd.github.raw; charset=utf-8',
    etag: `"${file.sha}"`,
  };
}

function notFound(): Answer {
  return {
    status: 404,
    body: JSON.stringify({ message: 'Not Found', documentation_url: DOCS, status: '404' }),
    contentType: 'application/json; charset=utf-8',
    etag: '',
  };
}

function sendJson(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: unknown,
): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

function matches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? path.includes(pattern) : pattern.test(path);
}
