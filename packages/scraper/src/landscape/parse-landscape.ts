import { readFile } from 'node:fs/promises';
import { type Document, isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { ScraperError } from '../errors.js';
import {
  type Landscape,
  type LandscapeCategory,
  type LandscapeItem,
  LandscapeItemSchema,
  type LandscapeSubcategory,
} from './landscape-schema.js';

/** Where `loadLandscape` reads from when neither `file` nor `url` is given. */
export const DEFAULT_LANDSCAPE_URL =
  'https://raw.githubusercontent.com/cncf/landscape/master/landscape.yml';

/** One landscape item together with where it sits. */
export interface LandscapeEntry {
  category: string;
  subcategory: string;
  /** `Category > Subcategory > Item name`, as used in issues. */
  path: string;
  item: LandscapeItem;
}

/** A part of the landscape that was skipped because it does not validate. */
export interface LandscapeIssue {
  /** `Category > Subcategory > Item name` (or a shorter prefix for a broken category). */
  path: string;
  /** What is wrong and how to fix it. */
  message: string;
  /** 1-based line in the YAML text, when known. */
  line?: number;
}

/** The result of {@link parseLandscape} and {@link loadLandscape}. */
export interface ParsedLandscape {
  /** The landscape with every valid item; invalid items are left out (see `issues`). */
  landscape: Landscape;
  /** Every valid item in file order, duplicates kept. */
  items: LandscapeEntry[];
  /** Entries that were skipped, each naming the entry and the fix. Empty for a clean file. */
  issues: LandscapeIssue[];
  /** The file path or URL the text came from, when known. */
  source: string | null;
}

/** Options of {@link parseLandscape}. */
export interface ParseLandscapeOptions {
  /** File path or URL of the text, used in error messages. */
  source?: string;
}

const CategoryHeaderSchema = z.looseObject({
  name: z.string().trim().min(1),
  subcategories: z.array(z.unknown()),
});
const SubcategoryHeaderSchema = z.looseObject({
  name: z.string().trim().min(1),
  note: z.string().optional(),
  items: z.array(z.unknown()).nullable(),
});

/**
 * Parses the text of a CNCF `landscape.yml`.
 *
 * Validation is per item: an item that does not match {@link LandscapeItemSchema} is left out
 * and reported in `issues` with its path and the fix, and the rest of the file still parses.
 * YAML is read with the YAML 1.2 core schema, so dates stay strings (normalised to
 * `YYYY-MM-DD`). Duplicate keys are reported as issues (the last value wins, as in YAML
 * parsers that allow them).
 *
 * @throws {ScraperError} `invalid-landscape` when the text is not YAML or has no
 * `landscape:` list of categories.
 */
export function parseLandscape(text: string, options: ParseLandscapeOptions = {}): ParsedLandscape {
  const source = options.source ?? null;
  const where = source === null ? 'The landscape text' : `The landscape at ${source}`;
  if (typeof text !== 'string') {
    throw new ScraperError('invalid-landscape', `${where} is not text; pass the YAML as a string.`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const duplicates = doc.errors.filter((error) => error.code === 'DUPLICATE_KEY');
  const fatal = doc.errors.find((error) => error.code !== 'DUPLICATE_KEY');
  if (fatal !== undefined) {
    throw new ScraperError(
      'invalid-landscape',
      `${where} is not valid YAML (${fatal.message.split('\n')[0]}); fix the file or point to a real landscape.yml.`,
      { cause: fatal },
    );
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new ScraperError(
      'invalid-landscape',
      `${where} could not be read as data (${(cause as Error).message}).`,
      { cause },
    );
  }
  // landscape2 also accepts `categories:` as the top-level key.
  const rootKey = isRecord(root) && Array.isArray(root.landscape) ? 'landscape' : 'categories';
  const categories = isRecord(root) ? root[rootKey] : undefined;
  if (!Array.isArray(categories)) {
    throw new ScraperError(
      'invalid-landscape',
      `${where} is not a landscape: expected a mapping with a \`landscape:\` list of categories; point to a CNCF landscape.yml such as ${DEFAULT_LANDSCAPE_URL}.`,
    );
  }

  const issues: LandscapeIssue[] = [];
  const items: LandscapeEntry[] = [];
  const landscape: Landscape = { landscape: [] };
  const lineOf = (path: (string | number)[]): number | undefined => {
    const node = doc.getIn([rootKey, ...path], true) as Node | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  const report = (path: string, message: string, at: (string | number)[]) => {
    const line = lineOf(at);
    issues.push(line === undefined ? { path, message } : { path, message, line });
  };

  categories.forEach((rawCategory, ci) => {
    const header = CategoryHeaderSchema.safeParse(rawCategory);
    const categoryName = nameOf(rawCategory) ?? `category #${ci + 1}`;
    if (!header.success) {
      report(categoryName, `category skipped: ${explain(header.error, rawCategory)}`, [ci]);
      return;
    }
    const { category: _marker, subcategories: rawSubcategories, ...categoryRest } = header.data;
    const category: LandscapeCategory = {
      ...categoryRest,
      name: header.data.name,
      subcategories: [],
    };
    rawSubcategories.forEach((rawSubcategory, si) => {
      const subName = nameOf(rawSubcategory) ?? `subcategory #${si + 1}`;
      const subPath = `${category.name} > ${subName}`;
      const subHeader = SubcategoryHeaderSchema.safeParse(rawSubcategory);
      if (!subHeader.success) {
        report(subPath, `subcategory skipped: ${explain(subHeader.error, rawSubcategory)}`, [
          ci,
          'subcategories',
          si,
        ]);
        return;
      }
      const { subcategory: _sub, items: rawItems, ...subRest } = subHeader.data;
      const subcategory: LandscapeSubcategory = {
        ...subRest,
        name: subHeader.data.name,
        items: [],
      };
      (rawItems ?? []).forEach((rawItem, ii) => {
        const itemPath = `${subPath} > ${nameOf(rawItem) ?? `item #${ii + 1}`}`;
        const parsed = LandscapeItemSchema.safeParse(rawItem);
        if (!parsed.success) {
          report(itemPath, `item skipped: ${explain(parsed.error, rawItem)}`, [
            ci,
            'subcategories',
            si,
            'items',
            ii,
          ]);
          return;
        }
        subcategory.items.push(parsed.data);
        items.push({
          category: category.name,
          subcategory: subcategory.name,
          path: itemPath,
          item: parsed.data,
        });
      });
      category.subcategories.push(subcategory);
    });
    landscape.landscape.push(category);
  });

  for (const duplicate of duplicates) {
    const at = duplicate.pos[0];
    const key = text.slice(duplicate.pos[0], duplicate.pos[1]) || 'a key';
    issues.push({
      path: pathAtOffset(doc, rootKey, at) ?? '(top level)',
      message: `duplicate key \`${key}\`: the last value is used; remove one of them`,
      line: lineCounter.linePos(at).line,
    });
  }
  return { landscape, items, issues, source };
}

/** Options of {@link loadLandscape}. Give `file` or `url`, not both. */
export interface LoadLandscapeOptions {
  /** Path of a local `landscape.yml`. */
  file?: string;
  /**
   * URL of a `landscape.yml`.
   * @default DEFAULT_LANDSCAPE_URL (when `file` is not given)
   */
  url?: string;
  /** fetch implementation, for tests and proxies. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Cancels the download. */
  signal?: AbortSignal;
  /** Time limit of the download in milliseconds. @default 60000 */
  timeoutMs?: number;
}

const MAX_LANDSCAPE_BYTES = 64 * 1024 * 1024;

/**
 * Reads a landscape from a file or a URL and parses it with {@link parseLandscape}.
 *
 * @throws {ScraperError} `invalid-options` (both or malformed inputs), `io-error` (file),
 * `http-error`, `network-error`, `timeout`, `aborted`, `too-large` (download), or
 * `invalid-landscape` (content).
 */
export async function loadLandscape(options: LoadLandscapeOptions = {}): Promise<ParsedLandscape> {
  if (options.file !== undefined && options.url !== undefined) {
    throw new ScraperError(
      'invalid-options',
      'loadLandscape got both `file` and `url`; pass only one of them.',
    );
  }
  if (options.file !== undefined) {
    let text: string;
    try {
      text = await readFile(options.file, { encoding: 'utf8', signal: options.signal });
    } catch (cause) {
      if (options.signal?.aborted) {
        throw new ScraperError('aborted', `Reading the landscape ${options.file} was aborted.`, {
          cause,
        });
      }
      throw new ScraperError(
        'io-error',
        `Could not read the landscape file ${options.file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); check the path.`,
        { cause },
      );
    }
    return parseLandscape(text, { source: options.file });
  }
  const url = options.url ?? DEFAULT_LANDSCAPE_URL;
  const text = await download(url, options);
  return parseLandscape(text, { source: redactUrl(url) });
}

async function download(url: string, options: LoadLandscapeOptions): Promise<string> {
  const shown = redactUrl(url);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new ScraperError(
      'invalid-options',
      `The landscape URL ${shown} is not an http(s) URL; pass a full URL or use { file }.`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const failed = (cause: unknown): ScraperError => {
    if (options.signal?.aborted) {
      return new ScraperError('aborted', `Downloading the landscape from ${shown} was aborted.`, {
        cause,
        url: shown,
      });
    }
    if (timeout.aborted) {
      return new ScraperError(
        'timeout',
        `Downloading the landscape from ${shown} took longer than ${timeoutMs} ms; raise timeoutMs or use a local copy with { file }.`,
        { cause, url: shown, isRetryable: true },
      );
    }
    return new ScraperError(
      'network-error',
      `Could not download the landscape from ${shown} (${(cause as Error).message}); check the network or use a local copy with { file }.`,
      { cause, url: shown, isRetryable: true },
    );
  };

  let response: Response;
  try {
    response = await fetchFn(url, { signal, headers: { accept: 'text/yaml, text/plain, */*' } });
  } catch (cause) {
    throw failed(cause);
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new ScraperError(
      'http-error',
      `Downloading the landscape from ${shown} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}; check the URL or use a local copy with { file }.`,
      {
        url: shown,
        status: response.status,
        body,
        isRetryable: [408, 425, 429].includes(response.status) || response.status >= 500,
      },
    );
  }
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (length > MAX_LANDSCAPE_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(shown);
  }
  try {
    // Read in chunks so a wrong URL serving an endless body cannot exhaust memory.
    const decoder = new TextDecoder('utf-8');
    let text = '';
    let received = 0;
    if (response.body === null) return '';
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > MAX_LANDSCAPE_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(shown);
      }
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  } catch (cause) {
    if (cause instanceof ScraperError) throw cause;
    throw failed(cause);
  }
}

function tooLarge(url: string): ScraperError {
  return new ScraperError(
    'too-large',
    `The landscape at ${url} is larger than ${MAX_LANDSCAPE_BYTES / 1024 / 1024} MiB, which no real landscape.yml is; check the URL.`,
    { url },
  );
}

/** Removes credentials and query values from a URL so it can appear in messages. */
function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/[^/@]*@/, '//');
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) parsed.searchParams.set(key, '…');
  return parsed.toString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameOf(value: unknown): string | undefined {
  return isRecord(value) && typeof value.name === 'string' && value.name.trim() !== ''
    ? value.name.trim()
    : undefined;
}

/** Turns zod issues into one sentence per problem, each saying what to change. */
function explain(error: z.ZodError, raw: unknown): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.map(String).join('.');
      const field = key === '' ? 'the entry' : `\`${key}\``;
      const value = valueAt(raw, issue.path);
      if (issue.code === 'invalid_type' && value === undefined) {
        return `${field} is missing; add it (${issue.expected})`;
      }
      if (issue.code === 'invalid_type') {
        return `${field} should be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, not ${describe(value)}; fix its value`;
      }
      if (issue.code === 'invalid_value') {
        return `${field} is ${describe(value)}; use one of ${issue.values.map((v) => String(v)).join(', ')}`;
      }
      if (issue.code === 'invalid_format') {
        return `${field} is not a valid ${issue.format === 'url' ? 'http(s) URL' : issue.format} (${describe(value)}); fix the value`;
      }
      return `${field} ${issue.message}`;
    })
    .join('; ');
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Names the category / subcategory / item whose YAML node contains `offset`. */
function pathAtOffset(doc: Document, rootKey: string, offset: number): string | undefined {
  const parts: string[] = [];
  let node: unknown = doc.get(rootKey, true);
  const childKeys = ['subcategories', 'items'];
  for (let depth = 0; depth < 3 && isSeq(node); depth++) {
    const child = node.items.find(
      (entry) => isMap(entry) && entry.range && entry.range[0] <= offset && offset < entry.range[2],
    );
    if (!isMap(child)) break;
    const name = child.get('name');
    parts.push(typeof name === 'string' ? name : '?');
    const nextKey = childKeys[depth];
    node = nextKey === undefined ? undefined : child.get(nextKey, true);
  }
  return parts.length === 0 ? undefined : parts.join(' > ');
}
