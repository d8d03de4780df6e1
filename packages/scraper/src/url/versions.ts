import { z } from 'zod';
import { parseOptions } from '../http/parse-options.js';

/** A URL split around its version segment; see {@link parseVersionedPath}. */
export interface VersionedPath {
  /** Origin plus the path before the version segment, ending in `/`: `https://etcd.io/docs/`. */
  root: string;
  /** The version segment as written: `v3.6`, `3.5.0`, `release-1.2`, `1.2.x`. */
  version: string;
  /** What follows the version segment, query included: `/op-guide/`, or `''`. */
  rest: string;
}

/**
 * Path segments that name a moving target, not a version. They are not versions:
 * {@link parseVersionedPath} returns `null` for them, so by default they are crawled like any
 * unversioned page. (They usually mirror the latest release, or are unreleased work; see the
 * `aliases` option of {@link createVersionPolicy}.)
 */
export const VERSION_ALIASES: readonly string[] = [
  'latest',
  'stable',
  'current',
  'main',
  'master',
  'next',
  'dev',
  'devel',
  'development',
  'unreleased',
  'nightly',
];

/**
 * `v1`, `v3.6`, `V3.5.0`, `3.6`, `3.6.x`, `1.x`, `release-1.2`, `release-v1.2`, `v2.0.0-rc.1`,
 * `v1.0-beta2`. A bare number (`2024`, `3`) is not a version: it is far more often a year, a
 * page number or an id.
 */
const VERSION_SEGMENT =
  /^(v|release-v?)?(\d{1,6}(?:\.\d{1,6})*)(\.x)?(?:[-.]?(alpha|beta|pre|rc)\.?(\d{1,6})?)?$/i;

const PRE_RELEASE_ORDER = ['alpha', 'beta', 'pre', 'rc'];

interface ParsedVersion {
  numbers: number[];
  pre: { rank: number; number: number } | null;
}

function parseVersion(segment: string): ParsedVersion | null {
  const match = VERSION_SEGMENT.exec(segment);
  if (match === null) return null;
  const [, prefix, core = '', wildcard, pre, preNumber] = match;
  if (prefix === undefined && !core.includes('.') && wildcard === undefined) return null;
  return {
    numbers: core.split('.').map(Number),
    pre:
      pre === undefined
        ? null
        : { rank: PRE_RELEASE_ORDER.indexOf(pre.toLowerCase()), number: Number(preNumber ?? 0) },
  };
}

/** Whether a path segment is a version as {@link parseVersionedPath} understands it. */
export function isVersionSegment(segment: string): boolean {
  return parseVersion(segment) !== null;
}

/**
 * Finds the first path segment of `url` that is a version (see {@link isVersionSegment}) and
 * splits the URL around it; `null` when there is none or `url` does not parse.
 *
 * @example parseVersionedPath('https://etcd.io/docs/v3.6/op-guide/')
 * // { root: 'https://etcd.io/docs/', version: 'v3.6', rest: '/op-guide/' }
 */
export function parseVersionedPath(url: string): VersionedPath | null {
  return splitAt(url, (segment) => parseVersion(segment) !== null);
}

function splitAt(url: string, isTarget: (segment: string) => boolean): VersionedPath | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const segments = parsed.pathname.split('/');
  // segments[0] is the empty string before the leading slash.
  for (let i = 1; i < segments.length; i += 1) {
    const segment = segments[i] as string;
    if (segment === '' || !isTarget(segment)) continue;
    const before = segments.slice(0, i).join('/');
    const after = segments.slice(i + 1);
    return {
      root: `${parsed.origin}${before}/`,
      version: segment,
      rest: (after.length === 0 ? '' : `/${after.join('/')}`) + parsed.search,
    };
  }
  return null;
}

/**
 * Orders two version segments: negative when `a` is older, positive when newer, 0 when equal
 * (`v3.5` = `3.5.0` = `3.5.x`). The `v`/`release-` prefix does not matter, missing parts count
 * as 0, and a pre-release (`alpha` < `beta` < `pre` < `rc`) comes before its release. Strings
 * that are not versions sort before all versions, in code-unit order among themselves.
 */
export function compareVersions(a: string, b: string): number {
  const left = parseVersion(a);
  const right = parseVersion(b);
  if (left === null || right === null) {
    if (left !== null) return 1;
    if (right !== null) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const length = Math.max(left.numbers.length, right.numbers.length);
  for (let i = 0; i < length; i += 1) {
    const difference = (left.numbers[i] ?? 0) - (right.numbers[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  if (left.pre === null || right.pre === null) {
    return left.pre === right.pre ? 0 : left.pre === null ? 1 : -1;
  }
  return Math.sign(left.pre.rank - right.pre.rank || left.pre.number - right.pre.number);
}

/** Options of {@link createVersionPolicy}. */
export interface VersionPolicyOptions {
  /** `latest`: only the newest version under each root; `all`: every version. */
  mode: 'latest' | 'all';
  /** Seed URLs: a version seeded explicitly is always kept, even when a newer one exists. */
  pinned?: string[];
  /**
   * What `latest` mode does with alias segments (`latest`, `main`, `next`, …) under a root that
   * also has real versions: `keep` crawls them like unversioned pages; `drop` counts them as
   * superseded by the newest real version (they mirror it, or are unreleased).
   * @default 'keep'
   */
  aliases?: 'keep' | 'drop';
}

/** Remembers which docs versions exist and says which ones a crawl should skip. */
export interface VersionPolicy {
  /** Learns that the version in `url` (if any) exists under its root. */
  observe(url: string): void;
  /**
   * The newer version (a segment such as `v3.6`) that makes the version in `url` obsolete, or
   * `null`: when `url` has no version, has the newest version seen under its root, is pinned,
   * or the mode is `all`. Only versions passed to `observe` (and pinned seeds) are known.
   */
  supersededBy(url: string): string | null;
  /** The newest version seen under `root` (a {@link VersionedPath.root}), or `null`. */
  latest(root: string): string | null;
}

const VersionPolicyOptionsSchema = z.strictObject({
  mode: z.enum(['latest', 'all']),
  pinned: z.array(z.string()).optional(),
  aliases: z.enum(['keep', 'drop']).default('keep'),
});

/**
 * Creates the rule for versioned docs sites (`/docs/v3.5/…`, `/docs/v3.6/…`): in `latest` mode
 * a page under an older version than the newest one observed under the same root is skipped,
 * unless its version was seeded explicitly.
 *
 * @throws `ScraperError` with code `invalid-options` when an option is wrong.
 */
export function createVersionPolicy(options: VersionPolicyOptions): VersionPolicy {
  const config = parseOptions(VersionPolicyOptionsSchema, options, 'createVersionPolicy');
  const newest = new Map<string, string>();
  const pins = new Map<string, string[]>();

  const observe = (url: string) => {
    const found = parseVersionedPath(url);
    if (found === null) return;
    const current = newest.get(found.root);
    if (current === undefined || compareVersions(found.version, current) > 0) {
      newest.set(found.root, found.version);
    }
  };

  for (const seed of config.pinned ?? []) {
    const found = parseVersionedPath(seed);
    if (found === null) continue;
    pins.set(found.root, [...(pins.get(found.root) ?? []), found.version]);
    observe(seed);
  }

  return {
    observe,
    latest: (root) => newest.get(root) ?? null,
    supersededBy(url: string): string | null {
      if (config.mode === 'all') return null;
      const found = parseVersionedPath(url);
      if (found === null) {
        if (config.aliases === 'keep') return null;
        const alias = splitAt(url, (segment) => VERSION_ALIASES.includes(segment.toLowerCase()));
        return alias === null ? null : (newest.get(alias.root) ?? null);
      }
      if (pins.get(found.root)?.some((pinned) => compareVersions(pinned, found.version) === 0))
        return null;
      const latest = newest.get(found.root);
      return latest !== undefined && compareVersions(latest, found.version) > 0 ? latest : null;
    },
  };
}
