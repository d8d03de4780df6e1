import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';

/** One remembered response: what a `304 Not Modified` stands for. */
export const EtagCacheEntrySchema = z.object({
  etag: z.string(),
  status: z.number().int(),
  /** Response body, base64. */
  body: z.string(),
  contentType: z.string().nullable(),
  lastModified: z.string().nullable(),
});
/** One remembered response: what a `304 Not Modified` stands for. */
export type EtagCacheEntry = z.infer<typeof EtagCacheEntrySchema>;

/**
 * Remembers responses by request (method, URL and Accept; never credentials) so the client
 * can send `If-None-Match` and reuse the body on `304`. GitHub does not count a 304 against
 * the rate limit, so a warm cache makes a re-run nearly free.
 */
export interface EtagCache {
  get(key: string): Promise<EtagCacheEntry | undefined>;
  set(key: string, entry: EtagCacheEntry): Promise<void>;
  /** Persists pending entries, for caches that keep them somewhere; called at the end of a scrape. */
  flush?(): Promise<void>;
}

/**
 * An in-memory {@link EtagCache}: lives as long as the client, enough for one run.
 *
 * @param options.maxEntries - oldest entries are dropped beyond this. @default 10000
 */
export function createMemoryEtagCache(options: { maxEntries?: number } = {}): EtagCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, EtagCacheEntry>();
  return {
    async get(key) {
      return entries.get(key);
    },
    async set(key, entry) {
      entries.delete(key);
      entries.set(key, entry);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
  };
}

const CacheFileSchema = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), EtagCacheEntrySchema),
});

/**
 * An {@link EtagCache} kept in a JSON file, so a re-run the next day revalidates instead of
 * downloading. The file is read on first use and written (atomically) by `flush()`; entries
 * set since the last flush are lost if the process dies, which only costs re-downloads.
 * A missing file is an empty cache; a corrupt one is an `io-error` naming the file.
 */
export function createJsonFileEtagCache(options: { path: string }): EtagCache {
  const { path } = options;
  let entries: Map<string, EtagCacheEntry> | undefined;
  let dirty = false;

  async function load(): Promise<Map<string, EtagCacheEntry>> {
    if (entries !== undefined) return entries;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        entries = new Map();
        return entries;
      }
      throw new ScraperError('io-error', `Could not read the ETag cache ${path}.`, {
        cause: error,
      });
    }
    let parsed: z.infer<typeof CacheFileSchema>;
    try {
      parsed = CacheFileSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new ScraperError(
        'io-error',
        `The ETag cache ${path} is not a valid cache file; delete it to start afresh.`,
        { cause: error },
      );
    }
    entries = new Map(Object.entries(parsed.entries));
    return entries;
  }

  return {
    async get(key) {
      return (await load()).get(key);
    },
    async set(key, entry) {
      (await load()).set(key, entry);
      dirty = true;
    },
    async flush() {
      if (!dirty || entries === undefined) return;
      await mkdir(dirname(path), { recursive: true });
      const file: z.infer<typeof CacheFileSchema> = {
        version: 1,
        entries: Object.fromEntries(entries),
      };
      await writeFileAtomic(path, `${JSON.stringify(file)}\n`);
      dirty = false;
    },
  };
}
