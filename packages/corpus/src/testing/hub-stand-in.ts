import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { digestBytes, gitBlobSha1, lfsPointer } from '../hub/git-hash.js';

/** The kinds of repository the Hub hosts (and the stand-in keeps apart by URL prefix). */
export type HubStandInRepoType = 'model' | 'dataset' | 'space';

/** A file in a commit: stored in git (`regular`) or in LFS, where git keeps only a pointer. */
export type HubStandInEntry =
  | {
      kind: 'regular';
      path: string;
      bytes: Uint8Array;
      /** Git blob SHA-1 of the content as committed. */
      oid: string;
      /** Size as committed (what listings report, even after {@link HubStandInRepo.tamper}). */
      size: number;
    }
  | {
      kind: 'lfs';
      path: string;
      /** SHA-256 of the content: the key into {@link HubStandIn.lfsObjects}. */
      sha256: string;
      size: number;
      /** Git blob SHA-1 of the pointer file, as the Hub lists it. */
      oid: string;
      pointerSize: number;
    };

/** One commit of a stand-in repository. Trees are snapshots: a commit never changes. */
export interface HubStandInCommit {
  oid: string;
  parents: string[];
  title: string;
  description: string;
  createdAt: Date;
  tree: ReadonlyMap<string, HubStandInEntry>;
}

/** Answer a matching request with an error instead of serving it, `times` times. */
export interface HubStandInFailure {
  /** @default any method */
  method?: string;
  /** Substring of, or pattern for, the request path (without query). */
  path: string | RegExp;
  /** @default 503 */
  status?: number;
  /** Sent as `Retry-After`. @default 0 */
  retryAfterSeconds?: number;
  /** @default 1 */
  times?: number;
}

/** Options of {@link startHubStandIn}. */
export interface HubStandInOptions {
  /** The one access token the stand-in accepts (`Authorization: Bearer …`). @default 'hf_standin_write_token' */
  token?: string;
  /** The token owner's user name, a namespace it may write to. @default 'stand-in-user' */
  user?: string;
  /** Organisations the user belongs to: further namespaces it may write to. @default [] */
  orgs?: string[];
  /** The token's role, as `whoami-v2` reports it. @default 'write' */
  role?: 'read' | 'write' | 'admin' | 'fineGrained';
  /** Entries per page of a tree listing; later pages are linked with `Link: <…>; rel="next"`. @default 1000 */
  treePageSize?: number;
  /** Files at least this large are stored in LFS whatever their name. @default 10 MiB */
  lfsThresholdBytes?: number;
  /** Fail matching requests (a 503 storm, a 500 on commit) before serving them. */
  failOnce?: HubStandInFailure[];
  /**
   * Echo the rejected `Authorization` header in 401 bodies, as a misbehaving proxy might, so
   * tests can prove that callers redact tokens from the errors they raise. @default false
   */
  leakTokenInErrors?: boolean;
}

/** What the stand-in logs for each request. Headers are not kept, so no token is either. */
export interface HubStandInRequest {
  method: string;
  /** Path without query. */
  path: string;
  query: string;
  /** Set once the response is finished. */
  status: number;
  /** Size of the request body. */
  bodyBytes: number;
  /** Whether the request carried the accepted token. */
  authenticated: boolean;
}

/** A running stand-in. */
export interface HubStandIn {
  /** Pass as `hubUrl` to `@huggingface/hub` calls and to `pushDataset`/`pullDataset`. */
  hubUrl: string;
  /** The accepted token. */
  token: string;
  /** Every repository, keyed like the Hub's URLs: `datasets/{ns}/{name}`, `spaces/…`, or `{ns}/{name}` for models. */
  repos: Map<string, HubStandInRepo>;
  /** LFS storage shared by all repositories: SHA-256 → content. */
  lfsObjects: Map<string, Uint8Array>;
  /** Every request received, in order of arrival. */
  requests: HubStandInRequest[];
  close(): Promise<void>;
}

const DEFAULT_TOKEN = 'hf_standin_write_token';
const INITIAL_GITATTRIBUTES = [
  '# Stored in LFS by the stand-in, like common binary and data formats on the Hub.',
  ...['*.parquet', '*.arrow', '*.bin', '*.safetensors', '*.gz', '*.zst', '*.zip', '*.tar'].map(
    (pattern) => `${pattern} filter=lfs diff=lfs merge=lfs -text`,
  ),
  '',
].join('\n');

let commitCounter = 0;

/**
 * A stand-in repository: branches and tags pointing at immutable commits. Inspect it in tests;
 * change it only through the HTTP API, or with {@link HubStandInRepo.tamper} to fake damage.
 */
export class HubStandInRepo {
  readonly type: HubStandInRepoType;
  /** `{namespace}/{name}`. */
  readonly id: string;
  private: boolean;
  /** Branch name → commit oid. */
  readonly branches = new Map<string, string>();
  /** Tag name → commit oid. */
  readonly tags = new Map<string, string>();
  /** Every commit by oid. */
  readonly commits = new Map<string, HubStandInCommit>();
  readonly #lfsObjects: Map<string, Uint8Array>;

  constructor(
    type: HubStandInRepoType,
    id: string,
    isPrivate: boolean,
    lfsObjects: Map<string, Uint8Array>,
  ) {
    this.type = type;
    this.id = id;
    this.private = isPrivate;
    this.#lfsObjects = lfsObjects;
  }

  /** The commit a branch, tag, commit oid or `HEAD` (= `main`) names. */
  resolve(revision: string): HubStandInCommit | undefined {
    const name = revision === 'HEAD' ? 'main' : revision;
    const oid = this.branches.get(name) ?? this.tags.get(name) ?? name;
    return this.commits.get(oid);
  }

  /** Path → content of every file at `revision`, LFS content resolved. */
  files(revision = 'main'): Map<string, Uint8Array> {
    const commit = this.#mustResolve(revision);
    const files = new Map<string, Uint8Array>();
    for (const [path, entry] of commit.tree) {
      files.set(path, this.contentOf(entry));
    }
    return files;
  }

  /** Commits reachable from `branch` by first parents, newest first. */
  history(branch = 'main'): HubStandInCommit[] {
    const out: HubStandInCommit[] = [];
    let commit = this.resolve(branch);
    while (commit) {
      out.push(commit);
      const parent = commit.parents[0];
      commit = parent === undefined ? undefined : this.commits.get(parent);
    }
    return out;
  }

  /**
   * Replaces the stored content of `path` at `revision` without touching the oid and size the
   * listing reports: the damage a pull must detect (bit rot, a bad mirror).
   */
  tamper(path: string, edit: (bytes: Uint8Array) => Uint8Array, revision = 'main'): void {
    const entry = this.#mustResolve(revision).tree.get(path);
    if (entry === undefined) throw new Error(`stand-in: no ${path} at ${revision}`);
    const edited = edit(this.contentOf(entry));
    if (entry.kind === 'regular') entry.bytes = edited;
    else this.#lfsObjects.set(entry.sha256, edited);
  }

  /** The content of an entry (LFS content from the shared store). */
  contentOf(entry: HubStandInEntry): Uint8Array {
    if (entry.kind === 'regular') return entry.bytes;
    const bytes = this.#lfsObjects.get(entry.sha256);
    if (bytes === undefined) throw new Error(`stand-in: LFS object ${entry.sha256} is missing`);
    return bytes;
  }

  /** Records a commit on top of `parent` (or a root commit) and returns it. */
  addCommit(
    parent: HubStandInCommit | undefined,
    tree: Map<string, HubStandInEntry>,
    title: string,
    description = '',
  ): HubStandInCommit {
    commitCounter += 1;
    const hash = createHash('sha1');
    hash.update(`${this.id}\n${parent?.oid ?? ''}\n${title}\n${commitCounter}\n`);
    for (const [path, entry] of [...tree].sort(([a], [b]) => compare(a, b))) {
      hash.update(`${path}\0${entry.oid}\n`);
    }
    const commit: HubStandInCommit = {
      oid: hash.digest('hex'),
      parents: parent === undefined ? [] : [parent.oid],
      title,
      description,
      createdAt: new Date(),
      tree,
    };
    this.commits.set(commit.oid, commit);
    return commit;
  }

  #mustResolve(revision: string): HubStandInCommit {
    const commit = this.resolve(revision);
    if (commit === undefined) throw new Error(`stand-in: ${this.id} has no revision ${revision}`);
    return commit;
  }
}

// --- request bodies the stand-in accepts (zod: they arrive from the network) ------------------

const CreateRepoBody = z.object({
  name: z.string(),
  organization: z.string().optional(),
  type: z.enum(['model', 'dataset', 'space']).optional(),
  private: z.boolean().optional(),
  visibility: z.enum(['public', 'private', 'protected']).optional(),
  files: z
    .array(z.object({ path: z.string(), content: z.string(), encoding: z.string().optional() }))
    .optional(),
});

const PreuploadBody = z.object({
  gitAttributes: z.string().optional(),
  files: z.array(
    z.object({ path: z.string(), size: z.number().int().nonnegative(), sample: z.string() }),
  ),
});

const LfsBatchBody = z.object({
  operation: z.enum(['upload', 'download']),
  transfers: z.array(z.string()).optional(),
  objects: z.array(z.object({ oid: z.string(), size: z.number().int().nonnegative() })),
});

const CommitLine = z.discriminatedUnion('key', [
  z.object({
    key: z.literal('header'),
    value: z.object({
      summary: z.string(),
      description: z.string().optional(),
      parentCommit: z.string().optional(),
    }),
  }),
  z.object({
    key: z.literal('file'),
    value: z.object({
      path: z.string(),
      content: z.string(),
      encoding: z.enum(['base64', 'utf-8']).optional(),
    }),
  }),
  z.object({
    key: z.literal('lfsFile'),
    value: z.object({
      path: z.string(),
      algo: z.literal('sha256').optional(),
      oid: z.string(),
      size: z.number().int().nonnegative().optional(),
    }),
  }),
  z.object({ key: z.literal('deletedFile'), value: z.object({ path: z.string() }) }),
  z.object({ key: z.literal('deletedFolder'), value: z.object({ path: z.string() }) }),
]);

const BranchBody = z.object({
  startingPoint: z.string().optional(),
  emptyBranch: z.boolean().optional(),
  overwrite: z.boolean().optional(),
});

const TagBody = z.object({ tag: z.string().min(1), message: z.string().optional() });

// --- the server ---------------------------------------------------------------------------

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Auth = 'none' | 'valid';

interface Ticket {
  oid: string;
  size: number;
}

/**
 * Starts a stand-in for the Hugging Face Hub on 127.0.0.1 (a free port): not the Hub, but a
 * `node:http` server speaking the parts of its HTTP API that `@huggingface/hub` calls to publish
 * and fetch a repository, so the real client can be driven in tests without the network.
 *
 * Served: `GET /api/whoami-v2`; `POST /api/repos/create` (409 when it exists; a new repo gets an
 * initial commit with a `.gitattributes`); `GET /api/{type}s/{ns}/{name}[/revision/{rev}]`;
 * `GET …/refs`; `POST …/preupload/{rev}` (LFS for `.gitattributes` patterns, binary samples and
 * large files); the LFS batch API at `/{prefix}{ns}/{name}.git/info/lfs/objects/batch`, answering
 * `transfer: 'basic'` with upload hrefs back to the stand-in whose `PUT` checks size and SHA-256;
 * `POST …/commit/{rev}` (NDJSON `header`, `file`, `lfsFile`, `deletedFile`, `deletedFolder`; a
 * new commit per call, history per branch, `parentCommit` checked); `POST …/branch/{name}`;
 * `POST …/tag/{rev}`; `GET …/tree/{rev}[/{path}]?recursive=` paginated with `Link`;
 * `GET|HEAD /{prefix}{ns}/{name}/(resolve|raw)/{rev}/{path}` with `Range` (206 and
 * `Content-Range`), `ETag` and `X-Repo-Commit`. Dataset repos live under the `datasets/` prefix.
 * Errors look like the Hub's: JSON `{error}`, 401 for a wrong token, 404 with an `X-Error-Code`
 * of `RepoNotFound`, `RevisionNotFound` or `EntryNotFound`.
 *
 * Not served: xet storage, multipart LFS uploads, pull requests, and the Hub's automatic
 * `.gitattributes` edits on commit.
 */
export async function startHubStandIn(options: HubStandInOptions = {}): Promise<HubStandIn> {
  const token = options.token ?? DEFAULT_TOKEN;
  const user = options.user ?? 'stand-in-user';
  const writable = new Set([user, ...(options.orgs ?? [])]);
  const pageSize = options.treePageSize ?? 1000;
  const lfsThreshold = options.lfsThresholdBytes ?? 10 * 1024 * 1024;
  const failures = (options.failOnce ?? []).map((failure) => ({
    ...failure,
    left: failure.times ?? 1,
  }));
  const repos = new Map<string, HubStandInRepo>();
  const lfsObjects = new Map<string, Uint8Array>();
  const tickets = new Map<string, Ticket>();
  const requests: HubStandInRequest[] = [];
  let hubUrl = '';

  const handle = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    body: Buffer,
    auth: Auth,
  ): Promise<void> => {
    const method = request.method ?? 'GET';
    const segments = url.pathname
      .split('/')
      .slice(1)
      .map((segment) => decodeURIComponent(segment));

    if (segments[0] === 'api') {
      const [, first, ...rest] = segments;
      if (first === 'whoami-v2' && rest.length === 0 && method === 'GET') {
        if (auth !== 'valid') throw new HttpError(401, 'Invalid username or password.');
        sendJson(response, 200, whoAmIBody(user, options.orgs ?? [], options.role ?? 'write'));
        return;
      }
      if (first === 'repos' && rest[0] === 'create' && rest.length === 1 && method === 'POST') {
        createRepo(response, body, auth);
        return;
      }
      const type = repoTypeOf(first);
      if (type !== undefined && rest.length >= 2) {
        const [ns, name, action, ...tail] = rest as [string, string, ...string[]];
        const repo = findRepo(type, ns, name, auth);
        repoApi(response, url, body, auth, repo, method, action, tail);
        return;
      }
      throw new HttpError(404, `Sorry, we can't find the page you are looking for.`);
    }

    if (segments[0] === '__lfs' && segments[1] === 'upload' && method === 'PUT') {
      lfsUpload(response, url, segments[2] ?? '', body);
      return;
    }

    // Git and file routes: `{ns}/{name}…` for models, `datasets/{ns}/{name}…`, `spaces/…`.
    const type =
      segments[0] === 'datasets' ? 'dataset' : segments[0] === 'spaces' ? 'space' : 'model';
    const rest = type === 'model' ? segments : segments.slice(1);
    const [ns, nameOrGit, ...tail] = rest;
    if (ns === undefined || nameOrGit === undefined) throw new HttpError(404, 'Not Found');
    if (nameOrGit.endsWith('.git') && tail.join('/') === 'info/lfs/objects/batch') {
      const repo = findRepo(type, ns, nameOrGit.slice(0, -'.git'.length), auth);
      lfsBatch(response, body, auth, repo);
      return;
    }
    const [mode, revision, ...pathParts] = tail;
    if ((mode === 'resolve' || mode === 'raw') && revision !== undefined) {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method not allowed');
      const repo = findRepo(type, ns, nameOrGit, auth);
      serveFile(request, response, repo, mode, revision, pathParts.join('/'), method === 'HEAD');
      return;
    }
    throw new HttpError(404, 'Not Found');
  };

  const findRepo = (type: HubStandInRepoType, ns: string, name: string, auth: Auth) => {
    const repo = repos.get(repoKey(type, ns, name));
    if (repo === undefined) throw new HttpError(404, 'Repository not found', 'RepoNotFound');
    if (repo.private && auth !== 'valid') {
      throw new HttpError(401, 'Repository not found', 'RepoNotFound');
    }
    return repo;
  };

  const requireWrite = (auth: Auth, namespace: string) => {
    if (auth !== 'valid') throw new HttpError(401, 'You must be authenticated to do this');
    if ((options.role ?? 'write') === 'read') {
      throw new HttpError(403, 'This token has the read role: it cannot write');
    }
    if (!writable.has(namespace)) {
      throw new HttpError(
        403,
        `You don't have the rights to write under the namespace ${namespace}`,
      );
    }
  };

  const createRepo = (response: ServerResponse, body: Buffer, auth: Auth) => {
    const input = parseJson(CreateRepoBody, body);
    const namespace = input.organization ?? user;
    requireWrite(auth, namespace);
    if (!REPO_NAME.test(input.name) || !REPO_NAME.test(namespace)) {
      throw new HttpError(400, `Invalid repo name: ${namespace}/${input.name}`);
    }
    const type = input.type ?? 'model';
    const key = repoKey(type, namespace, input.name);
    const url = `${hubUrl}/${key}`;
    if (repos.has(key)) {
      throw new HttpError(409, `You already created this ${type} repo`, undefined, { url });
    }
    const isPrivate = input.private ?? input.visibility === 'private';
    const repo = new HubStandInRepo(type, `${namespace}/${input.name}`, isPrivate, lfsObjects);
    const tree = new Map<string, HubStandInEntry>();
    putRegular(tree, '.gitattributes', new TextEncoder().encode(INITIAL_GITATTRIBUTES));
    for (const file of input.files ?? []) {
      const bytes =
        file.encoding === 'base64'
          ? Buffer.from(file.content, 'base64')
          : Buffer.from(file.content, 'utf8');
      putRegular(tree, checkPath(file.path), bytes);
    }
    const initial = repo.addCommit(undefined, tree, 'initial commit');
    repo.branches.set('main', initial.oid);
    repos.set(key, repo);
    sendJson(response, 200, { url, name: repo.id, id: randomBytes(12).toString('hex') });
  };

  const repoApi = (
    response: ServerResponse,
    url: URL,
    body: Buffer,
    auth: Auth,
    repo: HubStandInRepo,
    method: string,
    action: string | undefined,
    tail: string[],
  ) => {
    const namespace = repo.id.split('/')[0] ?? '';
    if (action === undefined || (action === 'revision' && tail.length === 1)) {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method not allowed');
      const commit = resolveOr404(repo, tail[0] ?? 'HEAD');
      sendJson(response, 200, {
        _id: createHash('sha1').update(repo.id).digest('hex').slice(0, 24),
        id: repo.id,
        author: namespace,
        private: repo.private,
        gated: false,
        disabled: false,
        downloads: 0,
        likes: 0,
        sha: commit.oid,
        lastModified: commit.createdAt.toISOString(),
      });
      return;
    }
    if (action === 'refs' && method === 'GET') {
      const refs = (kind: 'heads' | 'tags', map: Map<string, string>) =>
        [...map].map(([name, oid]) => ({ name, ref: `refs/${kind}/${name}`, targetCommit: oid }));
      sendJson(response, 200, {
        branches: refs('heads', repo.branches),
        tags: refs('tags', repo.tags),
        converts: [],
      });
      return;
    }
    if (action === 'tree' && method === 'GET' && tail[0] !== undefined) {
      listTree(response, url, repo, tail[0], tail.slice(1).join('/'));
      return;
    }
    if (method !== 'POST') throw new HttpError(405, 'Method not allowed');
    requireWrite(auth, namespace);
    const revision = tail[0];
    if (revision === undefined || tail.length !== 1) throw new HttpError(404, 'Not Found');
    if (action === 'preupload') {
      preupload(response, body, repo, revision);
      return;
    }
    if (action === 'commit') {
      if (url.searchParams.get('create_pr') === '1') {
        throw new HttpError(400, 'The stand-in does not open pull requests');
      }
      commit(response, body, repo, revision);
      return;
    }
    if (action === 'branch') {
      createBranch(response, body, repo, revision);
      return;
    }
    if (action === 'tag') {
      const input = parseJson(TagBody, body);
      const target = resolveOr404(repo, revision);
      if (!REF_NAME.test(input.tag)) throw new HttpError(400, `Invalid tag name: ${input.tag}`);
      if (repo.tags.has(input.tag)) throw new HttpError(409, 'Tag already exists');
      repo.tags.set(input.tag, target.oid);
      sendJson(response, 200, { success: true });
      return;
    }
    throw new HttpError(404, 'Not Found');
  };

  const preupload = (
    response: ServerResponse,
    body: Buffer,
    repo: HubStandInRepo,
    revision: string,
  ) => {
    const input = parseJson(PreuploadBody, body);
    const head = branchHead(repo, revision);
    const attributes =
      input.gitAttributes ?? textOf(head.tree.get('.gitattributes'), repo) ?? INITIAL_GITATTRIBUTES;
    const lfsPatterns = lfsPatternsOf(attributes);
    sendJson(response, 200, {
      files: input.files.map((file) => {
        const sample = Buffer.from(file.sample, 'base64');
        const lfs =
          file.size >= lfsThreshold ||
          sample.includes(0) ||
          lfsPatterns.some((pattern) => pattern.test(file.path));
        const existing = head.tree.get(file.path);
        return {
          path: file.path,
          uploadMode: lfs ? 'lfs' : 'regular',
          shouldIgnore: false,
          ...(existing && { oid: existing.oid }),
        };
      }),
    });
  };

  const lfsBatch = (response: ServerResponse, body: Buffer, auth: Auth, repo: HubStandInRepo) => {
    const input = parseJson(LfsBatchBody, body);
    if (input.operation !== 'upload') {
      throw new HttpError(400, 'The stand-in serves LFS downloads through resolve/, not batch');
    }
    requireWrite(auth, repo.id.split('/')[0] ?? '');
    const objects = input.objects.map(({ oid, size }) => {
      if (!SHA256.test(oid)) {
        return { oid, size, error: { code: 422, message: `Invalid oid ${oid}` } };
      }
      if (lfsObjects.get(oid)?.byteLength === size) return { oid, size };
      const ticket = randomBytes(16).toString('hex');
      tickets.set(ticket, { oid, size });
      return {
        oid,
        size,
        authenticated: true,
        actions: {
          upload: {
            href: `${hubUrl}/__lfs/upload/${oid}?ticket=${ticket}`,
            expires_in: 3600,
          },
        },
      };
    });
    response.writeHead(200, {
      'content-type': 'application/vnd.git-lfs+json',
      'x-request-id': requestId(),
    });
    response.end(JSON.stringify({ transfer: 'basic', objects }));
  };

  const lfsUpload = (response: ServerResponse, url: URL, oid: string, body: Buffer) => {
    const ticketId = url.searchParams.get('ticket') ?? '';
    const ticket = tickets.get(ticketId);
    if (ticket === undefined || ticket.oid !== oid) {
      throw new HttpError(403, 'Invalid or expired upload URL');
    }
    if (body.byteLength !== ticket.size) {
      throw new HttpError(400, `Size mismatch: expected ${ticket.size}, got ${body.byteLength}`);
    }
    const actual = digestBytes(body).sha256;
    if (actual !== oid) {
      throw new HttpError(400, `SHA-256 mismatch: expected ${oid}, got ${actual}`);
    }
    tickets.delete(ticketId);
    lfsObjects.set(oid, new Uint8Array(body));
    response.writeHead(200, { etag: `"${oid}"` });
    response.end();
  };

  const commit = (response: ServerResponse, body: Buffer, repo: HubStandInRepo, branch: string) => {
    const head = branchHead(repo, branch);
    const lines = body
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const operations = lines.map((line, index) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new HttpError(400, `Line ${index + 1} of the commit payload is not JSON`);
      }
      const parsed = CommitLine.safeParse(json);
      if (!parsed.success) {
        throw new HttpError(
          400,
          `Line ${index + 1} of the commit payload: ${parsed.error.message}`,
        );
      }
      return parsed.data;
    });
    const header = operations[0];
    if (header?.key !== 'header') throw new HttpError(400, 'The first line must be the header');
    if (header.value.summary.trim() === '') throw new HttpError(400, 'A commit needs a summary');
    if (header.value.parentCommit !== undefined && header.value.parentCommit !== head.oid) {
      throw new HttpError(412, 'A commit has happened since. Please refresh and try again.');
    }
    const tree = new Map(head.tree);
    for (const operation of operations.slice(1)) {
      switch (operation.key) {
        case 'header':
          throw new HttpError(400, 'Only one header per commit');
        case 'file': {
          const { value } = operation;
          const bytes =
            value.encoding === 'utf-8'
              ? Buffer.from(value.content, 'utf8')
              : Buffer.from(value.content, 'base64');
          putRegular(tree, checkPath(value.path), bytes);
          break;
        }
        case 'lfsFile': {
          const { value } = operation;
          const stored = lfsObjects.get(value.oid);
          if (stored === undefined || (value.size !== undefined && value.size !== stored.length)) {
            throw new HttpError(
              422,
              `LFS object ${value.oid} for ${value.path} was not uploaded: upload it first`,
            );
          }
          const pointer = new TextEncoder().encode(lfsPointer(value.oid, stored.byteLength));
          tree.set(checkPath(value.path), {
            kind: 'lfs',
            path: value.path,
            sha256: value.oid,
            size: stored.byteLength,
            oid: gitBlobSha1(pointer),
            pointerSize: pointer.byteLength,
          });
          break;
        }
        case 'deletedFile': {
          if (!tree.delete(operation.value.path)) {
            throw new HttpError(404, `Entry not found: ${operation.value.path}`, 'EntryNotFound');
          }
          break;
        }
        case 'deletedFolder': {
          const prefix = `${operation.value.path.replace(/\/$/, '')}/`;
          for (const path of [...tree.keys()]) if (path.startsWith(prefix)) tree.delete(path);
          break;
        }
      }
    }
    const created = repo.addCommit(head, tree, header.value.summary, header.value.description);
    repo.branches.set(branch, created.oid);
    sendJson(response, 200, {
      success: true,
      commitOid: created.oid,
      commitUrl: `${hubUrl}/${repoKey(repo.type, ...splitId(repo.id))}/commit/${created.oid}`,
      hookOutput: '',
    });
  };

  const createBranch = (
    response: ServerResponse,
    body: Buffer,
    repo: HubStandInRepo,
    branch: string,
  ) => {
    const input = parseJson(BranchBody, body);
    if (!REF_NAME.test(branch)) throw new HttpError(400, `Invalid branch name: ${branch}`);
    const exists = repo.branches.has(branch);
    if (exists && !input.overwrite) throw new HttpError(409, 'Reference already exists');
    if (exists && input.startingPoint === undefined && !input.emptyBranch) {
      sendJson(response, 200, { success: true });
      return;
    }
    const target = input.emptyBranch
      ? repo.addCommit(undefined, new Map(), 'empty branch')
      : resolveOr404(repo, input.startingPoint ?? 'main');
    repo.branches.set(branch, target.oid);
    sendJson(response, 200, { success: true });
  };

  const listTree = (
    response: ServerResponse,
    url: URL,
    repo: HubStandInRepo,
    revision: string,
    folder: string,
  ) => {
    const commit = resolveOr404(repo, revision);
    const recursive = url.searchParams.get('recursive') === 'true';
    const entries = treeEntries(commit, folder, recursive);
    if (entries === undefined) throw new HttpError(404, 'Entry not found', 'EntryNotFound');
    const offset = Number(url.searchParams.get('cursor') ?? '0') || 0;
    const page = entries.slice(offset, offset + pageSize);
    const headers: Record<string, string> = {};
    if (offset + pageSize < entries.length) {
      const next = new URL(url.pathname + url.search, hubUrl);
      next.searchParams.set('cursor', String(offset + pageSize));
      headers.link = `<${next.href}>; rel="next"`;
    }
    sendJson(response, 200, page, headers);
  };

  const serveFile = (
    request: IncomingMessage,
    response: ServerResponse,
    repo: HubStandInRepo,
    mode: 'resolve' | 'raw',
    revision: string,
    path: string,
    headOnly: boolean,
  ) => {
    const commit = resolveOr404(repo, revision);
    const entry = commit.tree.get(path);
    if (entry === undefined) throw new HttpError(404, 'Entry not found', 'EntryNotFound');
    let bytes: Uint8Array;
    let etag: string;
    const headers: Record<string, string> = {
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      'x-repo-commit': commit.oid,
      'x-request-id': requestId(),
    };
    if (entry.kind === 'lfs' && mode === 'resolve') {
      bytes = repo.contentOf(entry);
      etag = `"${entry.sha256}"`;
      headers['x-linked-etag'] = etag;
      headers['x-linked-size'] = String(entry.size);
    } else if (entry.kind === 'lfs') {
      bytes = new TextEncoder().encode(lfsPointer(entry.sha256, entry.size));
      etag = `"${entry.oid}"`;
    } else {
      bytes = entry.bytes;
      etag = `"${entry.oid}"`;
    }
    headers.etag = etag;
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    const range = parseRange(request.headers.range, bytes.byteLength);
    if (range === 'unsatisfiable') {
      response.writeHead(416, { ...headers, 'content-range': `bytes */${bytes.byteLength}` });
      response.end();
      return;
    }
    const [start, end] = range ?? [0, bytes.byteLength - 1];
    const slice = bytes.subarray(start, end + 1);
    if (range !== undefined) {
      headers['content-range'] = `bytes ${start}-${end}/${bytes.byteLength}`;
    }
    headers['content-length'] = String(slice.byteLength);
    response.writeHead(range === undefined ? 200 : 206, headers);
    response.end(headOnly ? undefined : slice);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const authorization = request.headers.authorization;
    const record: HubStandInRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      status: 0,
      bodyBytes: 0,
      authenticated: authorization === `Bearer ${token}`,
    };
    requests.push(record);
    response.on('finish', () => {
      record.status = response.statusCode;
    });
    readBody(request)
      .then(async (body) => {
        record.bodyBytes = body.byteLength;
        const failure = failures.find(
          (rule) =>
            rule.left > 0 &&
            (rule.method === undefined || rule.method === record.method) &&
            (typeof rule.path === 'string'
              ? url.pathname.includes(rule.path)
              : rule.path.test(url.pathname)),
        );
        if (failure !== undefined) {
          failure.left -= 1;
          throw new HttpError(
            failure.status ?? 503,
            'The stand-in failed this request on purpose',
            undefined,
            {
              retryAfter: failure.retryAfterSeconds ?? 0,
            },
          );
        }
        if (authorization !== undefined && !record.authenticated) {
          const detail = options.leakTokenInErrors ? `: ${authorization}` : '';
          throw new HttpError(401, `Invalid credentials in Authorization header${detail}`);
        }
        await handle(request, response, url, body, record.authenticated ? 'valid' : 'none');
      })
      .catch((error: unknown) => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        if (error instanceof HttpError) {
          const { retryAfter, ...extra } = error.extra;
          const headers: Record<string, string> = { 'x-error-message': error.message };
          if (error.errorCode !== undefined) headers['x-error-code'] = error.errorCode;
          if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
          sendJson(response, error.status, { error: error.message, ...extra }, headers);
          return;
        }
        sendJson(response, 500, {
          error: `stand-in bug: ${error instanceof Error ? error.message : String(error)}`,
        });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    hubUrl,
    token,
    repos,
    lfsObjects,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

// --- helpers ------------------------------------------------------------------------------

const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REF_NAME = /^(?!.*\.\.)(?!\/)(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/;
const SHA256 = /^[0-9a-f]{64}$/;

function repoTypeOf(segment: string | undefined): HubStandInRepoType | undefined {
  if (segment === 'models') return 'model';
  if (segment === 'datasets') return 'dataset';
  if (segment === 'spaces') return 'space';
  return undefined;
}

function repoKey(type: HubStandInRepoType, ns: string, name: string): string {
  return `${type === 'model' ? '' : `${type}s/`}${ns}/${name}`;
}

function splitId(id: string): [string, string] {
  const [ns = '', name = ''] = id.split('/');
  return [ns, name];
}

function resolveOr404(repo: HubStandInRepo, revision: string): HubStandInCommit {
  const commit = repo.resolve(revision);
  if (commit === undefined) {
    throw new HttpError(404, `Invalid rev id: ${revision}`, 'RevisionNotFound');
  }
  return commit;
}

function branchHead(repo: HubStandInRepo, branch: string): HubStandInCommit {
  const oid = repo.branches.get(branch);
  const commit = oid === undefined ? undefined : repo.commits.get(oid);
  if (commit === undefined) {
    throw new HttpError(404, `Invalid rev id: ${branch}`, 'RevisionNotFound');
  }
  return commit;
}

function putRegular(tree: Map<string, HubStandInEntry>, path: string, bytes: Uint8Array): void {
  tree.set(path, {
    kind: 'regular',
    path,
    bytes: new Uint8Array(bytes),
    oid: gitBlobSha1(bytes),
    size: bytes.byteLength,
  });
}

function checkPath(path: string): string {
  const parts = path.split('/');
  if (
    path.length === 0 ||
    path.length > 1000 ||
    path.includes('\\') ||
    parts.some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new HttpError(400, `Invalid path in repository: ${JSON.stringify(path)}`);
  }
  return path;
}

function textOf(entry: HubStandInEntry | undefined, repo: HubStandInRepo): string | undefined {
  return entry === undefined ? undefined : Buffer.from(repo.contentOf(entry)).toString('utf8');
}

/** The path patterns `.gitattributes` routes to LFS, as regular expressions over repo paths. */
function lfsPatternsOf(attributes: string): RegExp[] {
  const patterns: RegExp[] = [];
  for (const line of attributes.split('\n')) {
    const [pattern, ...attrs] = line.trim().split(/\s+/);
    if (pattern === undefined || pattern === '' || pattern.startsWith('#')) continue;
    if (!attrs.includes('filter=lfs')) continue;
    patterns.push(globToRegExp(pattern));
  }
  return patterns;
}

function globToRegExp(glob: string): RegExp {
  // A pattern without a slash matches a file name at any depth, as in git.
  const anchored = glob.includes('/');
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i] ?? '';
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const body = anchored ? source.replace(/^\//, '') : `(?:.*/)?${source}`;
  return new RegExp(`^${body}$`);
}

type TreeItem = {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
};

/** The listing of `folder` at `commit`: sorted, directories included; undefined when absent. */
function treeEntries(
  commit: HubStandInCommit,
  folder: string,
  recursive: boolean,
): TreeItem[] | undefined {
  const prefix = folder === '' ? '' : `${folder.replace(/\/$/, '')}/`;
  const files = [...commit.tree.values()].filter((entry) => entry.path.startsWith(prefix));
  if (prefix !== '' && files.length === 0) return undefined;
  const directories = new Map<string, string[]>();
  const items: TreeItem[] = [];
  for (const entry of files) {
    const relative = entry.path.slice(prefix.length).split('/');
    for (let depth = 1; depth < relative.length; depth += 1) {
      const dir = prefix + relative.slice(0, depth).join('/');
      const children = directories.get(dir) ?? [];
      children.push(`${entry.path}:${entry.oid}`);
      directories.set(dir, children);
    }
    if (!recursive && relative.length > 1) continue;
    items.push({
      type: 'file',
      oid: entry.oid,
      size: entry.size,
      path: entry.path,
      ...(entry.kind === 'lfs' && {
        lfs: { oid: entry.sha256, size: entry.size, pointerSize: entry.pointerSize },
      }),
    });
  }
  for (const [path, children] of directories) {
    if (!recursive && path.slice(prefix.length).includes('/')) continue;
    const oid = createHash('sha1').update(children.sort().join('\n')).digest('hex');
    items.push({ type: 'directory', oid, size: 0, path });
  }
  return items.sort((a, b) => compare(a.path, b.path));
}

function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  let start: number;
  let end: number;
  if (from === '') {
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}

function whoAmIBody(user: string, orgs: string[], role: string) {
  const id = (name: string) => createHash('sha1').update(name).digest('hex').slice(0, 24);
  return {
    type: 'user',
    id: id(user),
    name: user,
    fullname: user,
    email: `${user}@stand-in.invalid`,
    emailVerified: true,
    isPro: false,
    canPay: false,
    avatarUrl: '',
    periodEnd: null,
    billingMode: 'prepaid',
    orgs: orgs.map((org) => ({
      type: 'org',
      id: id(org),
      name: org,
      fullname: org,
      email: null,
      canPay: false,
      avatarUrl: '',
      periodEnd: null,
    })),
    auth: {
      type: 'access_token',
      accessToken: { displayName: 'stand-in token', role, createdAt: new Date(0).toISOString() },
    },
  };
}

function parseJson<T>(schema: z.ZodType<T>, body: Buffer): T {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'The request body is not JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HttpError(400, `Invalid request body: ${parsed.error.message}`);
  return parsed.data;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'x-request-id': requestId(),
    ...headers,
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function requestId(): string {
  return `Root=1-${randomBytes(12).toString('hex')}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
