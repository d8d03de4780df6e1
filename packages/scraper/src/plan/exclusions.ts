import { z } from 'zod';

/**
 * One path rule shared by the docs crawler and the GitHub reader. `pattern` is a regular
 * expression source (matched case-insensitively against a `/`-separated path without a
 * leading slash) so the rules survive a round trip through JSON.
 */
export const ExclusionRuleSchema = z.object({
  /** Short stable id, e.g. `vendor`. */
  name: z.string().min(1),
  pattern: z.string().min(1),
  /** Why a matching path is left out; returned by {@link isExcludedPath}. */
  reason: z.string().min(1),
  /** The rule only applies to files at least this large (bytes), and only when the size is known. */
  minBytes: z.number().int().nonnegative().optional(),
});
/** One path exclusion rule. */
export type ExclusionRule = z.infer<typeof ExclusionRuleSchema>;

const DEPENDENCY_DIRS =
  '(?:vendor|third[_-]party|node_modules|bower_components|deps|external|externals|bundled?)';

/**
 * Paths that hold other people's code or machine output rather than the project's own
 * documentation. Order matters: the first matching rule gives the reason, so narrower rules
 * come first.
 */
export const DEFAULT_EXCLUSIONS: readonly ExclusionRule[] = Object.freeze([
  {
    name: 'vendored-changelog',
    pattern: `(^|/)${DEPENDENCY_DIRS}/(.+/)?(changelog|changes|history|news|releases?)([._-][^/]*)?$`,
    reason: 'changelog of a vendored or bundled dependency, not of the project',
  },
  { name: 'vendor', pattern: '(^|/)vendor/', reason: 'vendored dependency (vendor/)' },
  {
    name: 'third-party',
    pattern: '(^|/)third[_-]party/',
    reason: 'third-party code (third_party/)',
  },
  {
    name: 'node-modules',
    pattern: '(^|/)(node_modules|bower_components)/',
    reason: 'installed JavaScript dependency (node_modules/)',
  },
  {
    name: 'godeps',
    pattern: '(^|/)Godeps/_workspace/',
    reason: 'vendored Go dependency (Godeps/)',
  },
  { name: 'git', pattern: '(^|/)\\.git/', reason: 'git metadata (.git/)' },
  {
    name: 'generated-code',
    pattern: '(^|/)zz_generated[^/]*$|\\.pb(\\.gw)?\\.go$|_pb2(_grpc)?\\.pyi?$|\\.pb\\.(cc|h)$',
    reason: 'generated code',
  },
  {
    name: 'lockfile',
    pattern:
      '(^|/)(package-lock\\.json|npm-shrinkwrap\\.json|yarn\\.lock|pnpm-lock\\.yaml|go\\.sum|Cargo\\.lock|poetry\\.lock|Gemfile\\.lock|composer\\.lock)$',
    reason: 'dependency lockfile',
  },
  {
    name: 'minified',
    pattern: '\\.min\\.(js|css)$|\\.(js|css)\\.map$',
    reason: 'minified asset or source map',
  },
  {
    name: 'generated-api-reference',
    pattern:
      '(^|/)(generated|api[-_]?(reference|ref|docs?|spec)|apidocs?|apispec|swagger|openapi)(/|\\.[a-z0-9]+$)|\\.swagger\\.json$|(^|/)reference/[a-z0-9-]+-api/',
    reason: 'generated API reference larger than 256 KiB',
    minBytes: 256 * 1024,
  },
]);

const compiled = new Map<string, RegExp>();

function regexOf(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(pattern, 'i');
    compiled.set(pattern, regex);
  }
  return regex;
}

/** Reduces a repository path or a URL to the `a/b/c.md` form the rules are written for. */
function normalisePath(path: string): string {
  let result = path;
  if (/^https?:\/\//i.test(result) && URL.canParse(result)) {
    result = new URL(result).pathname;
    try {
      result = decodeURIComponent(result);
    } catch {
      // A malformed escape is matched as written.
    }
  }
  return result
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '');
}

/**
 * Says whether a repository path or docs URL should be skipped, and why.
 *
 * @param path - a repository path (`vendor/x/README.md`, Windows separators allowed) or a URL
 *   (its path is tested).
 * @param sizeBytes - the file size when known; size-dependent rules apply only when given.
 * @param rules - the rules to apply. @default DEFAULT_EXCLUSIONS
 * @returns the reason of the first matching rule, or `null` to keep the path.
 */
export function isExcludedPath(
  path: string,
  sizeBytes?: number,
  rules: readonly ExclusionRule[] = DEFAULT_EXCLUSIONS,
): string | null {
  const normalised = normalisePath(path);
  for (const rule of rules) {
    if (rule.minBytes !== undefined && (sizeBytes === undefined || sizeBytes < rule.minBytes)) {
      continue;
    }
    if (regexOf(rule.pattern).test(normalised)) return rule.reason;
  }
  return null;
}
