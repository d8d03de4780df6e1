import { HubApiError, listFiles } from '@huggingface/hub';
import { z } from 'zod';
import { CorpusError } from '../errors.js';

// Calls `@huggingface/hub` 2.17.5 does not offer (refs, tags), made the way it makes its own,
// and a checked view of the ones it does. Everything the Hub answers goes through a schema.

/** A dataset repository name: `namespace/name`, optionally written `datasets/namespace/name`. */
export const DatasetRepoSchema = z
  .string()
  .trim()
  .regex(
    /^(?:datasets\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/,
    'expected "namespace/name" (letters, digits, ".", "_", "-")',
  )
  .refine((name) => !name.includes('..') && !name.includes('--'), 'no ".." or "--" in names')
  .transform((name) => name.replace(/^datasets\//, ''));

/** A branch or tag name the Hub accepts. */
export const RefNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/-]+$/, 'letters, digits, ".", "_", "-" and "/" only')
  .refine(
    (name) => !name.includes('..') && !name.startsWith('/') && !name.endsWith('/'),
    'no "..", and no leading or trailing "/"',
  );

const RefSchema = z.object({ name: z.string(), targetCommit: z.string() });

/** The Hub's answer to `GET /api/{type}s/{id}/refs`. */
export const RepoRefsSchema = z.object({
  branches: z.array(RefSchema),
  tags: z.array(RefSchema).default([]),
});
export type RepoRefs = z.infer<typeof RepoRefsSchema>;

/** One file of a tree listing, as this package relies on it. */
export const RemoteFileSchema = z.object({
  type: z.literal('file'),
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** Git blob SHA-1 (of the pointer, for LFS files). */
  oid: z.string().optional(),
  lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative() }).optional(),
});
export type RemoteFile = z.infer<typeof RemoteFileSchema>;

/** How every direct call reaches the Hub. */
export interface HubCallOptions {
  hubUrl: string;
  accessToken: string | undefined;
  fetch: typeof fetch;
}

/** Branches and tags of a dataset repository. */
export async function getRepoRefs(repo: string, call: HubCallOptions): Promise<RepoRefs> {
  const response = await call.fetch(`${call.hubUrl}/api/datasets/${repo}/refs`, {
    headers: authHeaders(call.accessToken),
  });
  if (!response.ok) throw await apiError(response);
  return parseAnswer(RepoRefsSchema, await response.json(), response.url);
}

/**
 * Creates `tag` on `revision` (`POST /api/{type}s/{id}/tag/{revision}`, the endpoint the
 * Python client's `create_tag` calls). Throws a {@link HubApiError} with status 409 when the tag
 * exists.
 */
export async function createRepoTag(
  repo: string,
  options: { tag: string; revision: string; message?: string },
  call: HubCallOptions,
): Promise<void> {
  const response = await call.fetch(
    `${call.hubUrl}/api/datasets/${repo}/tag/${encodeURIComponent(options.revision)}`,
    {
      method: 'POST',
      headers: { ...authHeaders(call.accessToken), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        tag: options.tag,
        ...(options.message !== undefined && { message: options.message }),
      }),
    },
  );
  if (!response.ok) throw await apiError(response);
  await response.body?.cancel();
}

/**
 * Every file of a dataset repository at `revision` (recursive `listFiles`, all pages), by path.
 * Folder entries are left out.
 */
export async function listRemoteFiles(
  repo: string,
  revision: string,
  call: HubCallOptions,
): Promise<Map<string, RemoteFile>> {
  const files = new Map<string, RemoteFile>();
  for await (const entry of listFiles({
    repo: { type: 'dataset', name: repo },
    // The client puts the revision into the path as is; a branch like `release/v1` must be
    // escaped to stay one path segment.
    revision: encodeURIComponent(revision),
    recursive: true,
    hubUrl: call.hubUrl,
    fetch: call.fetch,
    ...(call.accessToken !== undefined && { accessToken: call.accessToken }),
  })) {
    if (entry.type !== 'file') continue;
    const file = parseAnswer(RemoteFileSchema, entry, `${call.hubUrl}/api/datasets/${repo}/tree`);
    files.set(file.path, file);
  }
  return files;
}

function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}

/** A {@link HubApiError} in the client's style: the Hub's `error` text when it sent JSON. */
async function apiError(response: Response): Promise<HubApiError> {
  let message = `Api error with status ${response.status}`;
  const text = await response.text().catch(() => '');
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    const said = json.error ?? json.message;
    if (typeof said === 'string') message = said;
  } catch {
    if (text.trim() !== '') message = text.trim().slice(0, 300);
  }
  return new HubApiError(
    response.url,
    response.status,
    response.headers.get('X-Request-Id') ?? undefined,
    message,
  );
}

function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, url: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CorpusError(
      'hub-error',
      `Unexpected answer from the Hub at ${url}: ${z.prettifyError(parsed.error)}`,
      { url },
    );
  }
  return parsed.data;
}
