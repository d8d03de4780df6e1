import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { parseOptions } from '../http/parse-options.js';
import { normaliseUrl } from './normalise.js';
import { isVersionSegment } from './versions.js';

/** Options of {@link createScope}. */
export interface ScopeOptions {
  /** Where the crawl starts; their hosts and directories make the default scope. */
  seeds: string[];
  /**
   * Replace the directories derived from the seeds. A path (`/docs/`) applies to every seed
   * host; an absolute URL (`https://etcd.io/docs/`) to its own host, which joins the scope.
   * Prefixes are plain string prefixes of the path: `/docs` also takes in `/docs-old/`.
   */
  prefixes?: string[];
  /**
   * URLs to leave out even inside the scope: a string is a substring of the path and query
   * (`/blog/`, `?print=`), a RegExp is tested against the whole normalised URL.
   */
  exclude?: (string | RegExp)[];
  /** Also take in subdomains of the seed hosts (`docs.etcd.io` for `etcd.io`). @default false */
  allowSubdomains?: boolean;
}

/** The answer of {@link Scope.check}. */
export type ScopeCheck = { inScope: true } | { inScope: false; reason: string };

/** Decides which URLs a crawl may visit; see {@link createScope}. */
export interface Scope {
  /** Whether `url` is inside the crawl, and if not, why not (in words, for logs). */
  check(url: string): ScopeCheck;
  /** The host and path prefix pairs in force (hosts without `www.`), for logs and reports. */
  readonly rules: readonly { host: string; prefix: string }[];
}

const ScopeOptionsSchema = z.strictObject({
  seeds: z.array(z.string()).min(1, 'give at least one seed URL'),
  prefixes: z.array(z.string().min(1)).optional(),
  exclude: z.array(z.union([z.string().min(1), z.instanceof(RegExp)])).optional(),
  allowSubdomains: z.boolean().default(false),
});

/**
 * Builds the scope of a crawl. By default a URL is in scope when its host is a seed's host
 * (`www.etcd.io` and `etcd.io` count as one) and its path lies in that seed's directory:
 * seed `https://etcd.io/docs/v3.6/` → `/docs/v3.6/`; seed `/docs/index.html` (a file: its last
 * segment ends in an extension such as `.html`) → `/docs/`; seed `/docs/v3.6` or
 * `/docs/install` (no trailing slash, no extension: taken as a directory) → `/docs/v3.6/`,
 * with `/docs/v3.6` itself also in scope. The scheme does not
 * matter (an `http://` link to an `https://` seed's host is in scope).
 * Seeding a docs root (`https://etcd.io/docs/`) takes in every version below it; pick the
 * versions with `createVersionPolicy`.
 *
 * @throws `ScraperError` with code `invalid-options` for a seed or prefix URL that is not http(s).
 */
export function createScope(options: ScopeOptions): Scope {
  const config = parseOptions(ScopeOptionsSchema, options, 'createScope');
  const seeds = config.seeds.map((seed) => {
    const url = parseHttp(seed, 'seed');
    return { host: bareHost(url.hostname, url.port), path: url.pathname };
  });

  const rules: { host: string; prefix: string }[] = [];
  const add = (host: string, prefix: string) => {
    if (!rules.some((rule) => rule.host === host && rule.prefix === prefix))
      rules.push({ host, prefix });
  };
  if (config.prefixes === undefined) {
    for (const seed of seeds) add(seed.host, directoryOf(seed.path));
  } else {
    const seedHosts = [...new Set(seeds.map((seed) => seed.host))];
    for (const prefix of config.prefixes) {
      if (prefix.startsWith('/')) {
        for (const host of seedHosts)
          add(host, normaliseUrl(prefix, 'http://x')?.slice('http://x'.length) ?? prefix);
      } else {
        const url = parseHttp(prefix, 'prefix');
        add(bareHost(url.hostname, url.port), url.pathname);
      }
    }
  }
  const exclude = config.exclude ?? [];
  const hostList = [...new Set(rules.map((rule) => rule.host))].join(', ');

  return {
    rules,
    check(raw: string): ScopeCheck {
      const normalised = normaliseUrl(raw);
      if (normalised === null) return { inScope: false, reason: 'not an http(s) URL' };
      const url = new URL(normalised);
      const host = bareHost(url.hostname, url.port);
      const onHost = rules.filter(
        (rule) => rule.host === host || (config.allowSubdomains && host.endsWith(`.${rule.host}`)),
      );
      if (onHost.length === 0) {
        return { inScope: false, reason: `host ${url.host} is not a seed host (${hostList})` };
      }
      const path = url.pathname;
      const inPrefix = onHost.some(
        (rule) =>
          path.startsWith(rule.prefix) || (rule.prefix.endsWith('/') && `${path}/` === rule.prefix),
      );
      if (!inPrefix) {
        const prefixes = [...new Set(onHost.map((rule) => rule.prefix))].join(', ');
        return { inScope: false, reason: `path ${path} is outside ${prefixes}` };
      }
      const pathAndQuery = path + url.search;
      for (const pattern of exclude) {
        if (
          typeof pattern === 'string'
            ? pathAndQuery.includes(pattern)
            : matchesRegExp(pattern, normalised)
        ) {
          return {
            inScope: false,
            reason: `excluded by pattern ${typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern)}`,
          };
        }
      }
      return { inScope: true };
    },
  };
}

/** The directory a seed path stands for, always ending in `/`. */
function directoryOf(path: string): string {
  if (path.endsWith('/')) return path;
  const lastSlash = path.lastIndexOf('/');
  const last = path.slice(lastSlash + 1);
  const isFile = /\.[A-Za-z][A-Za-z0-9]{0,7}$/.test(last) && !isVersionSegment(last);
  return isFile ? path.slice(0, lastSlash + 1) : `${path}/`;
}

/** Host (with a non-default port) without a leading `www.`, for comparing sites. */
function bareHost(hostname: string, port: string): string {
  const host = hostname.startsWith('www.') ? hostname.slice(4) : hostname;
  return port === '' ? host : `${host}:${port}`;
}

function matchesRegExp(pattern: RegExp, url: string): boolean {
  // A /g or /y RegExp remembers where it stopped; a scope check must not depend on history.
  pattern.lastIndex = 0;
  return pattern.test(url);
}

function parseHttp(value: string, what: string): URL {
  const normalised = normaliseUrl(value);
  if (normalised === null) {
    throw new ScraperError(
      'invalid-options',
      `createScope: the ${what} "${value}" is not an absolute http(s) URL; give one such as https://etcd.io/docs/.`,
    );
  }
  return new URL(normalised);
}
