import type { TreeEntry } from './github-client.js';

/** A path pattern: a glob (`docs/**`, `*.md`) or a regular expression tested on the whole path. */
export type PathPattern = string | RegExp;

/** Options of {@link selectDocFiles}. */
export interface SelectDocFilesOptions {
  /** Extra paths to take besides the built-in documentation rules. */
  include?: PathPattern[];
  /** Paths to drop even when a rule takes them; checked first. */
  exclude?: PathPattern[];
  /** Larger files are skipped. @default 5242880 (5 MiB) */
  maxFileBytes?: number;
  /** Generated API references (swagger, openapi, `generated`) larger than this are skipped. @default 262144 (256 KiB) */
  maxGeneratedBytes?: number;
}

/** What {@link selectDocFiles} decided. */
export interface DocFileSelection {
  selected: TreeEntry[];
  /** Files a rule would have taken but an exclusion dropped, each with the reason. */
  skipped: { path: string; reason: string }[];
}

const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
const DEFAULT_MAX_GENERATED_BYTES = 256 * 1024;

// Formats read as documentation wherever they are in the repository.
const DOC_EXTENSIONS = new Set(['md', 'mdx', 'markdown', 'rst', 'adoc', 'asciidoc', 'pdf']);
// Inside a docs folder these are documentation too.
const DOCS_DIR_EXTENSIONS = new Set([
  ...DOC_EXTENSIONS,
  'txt',
  'html',
  'htm',
  'yaml',
  'yml',
  'json',
]);
const DOCS_DIRS = new Set(['docs', 'doc', 'documentation']);
const EXAMPLE_DIRS = new Set(['examples', 'example']);
// Dependencies copied into the repository: their docs are another project's.
const VENDOR_DIRS = new Set([
  'vendor',
  '_vendor',
  'third_party',
  'third-party',
  'thirdparty',
  'node_modules',
  'bower_components',
  'testdata',
]);
// Folders that often bundle dependencies without being called vendor; only their changelogs,
// which are long and about the dependency, are dropped.
const BUNDLED_DIRS = new Set(['deps', 'external', 'externals', 'extern', 'godeps', 'bundled']);
const GITHUB_TEMPLATE =
  /^\.github\/(?:ISSUE_TEMPLATE|PULL_REQUEST_TEMPLATE|DISCUSSION_TEMPLATE|workflows)(?:\/|\.|$)|^\.github\/pull_request_template\.md$/i;
const GENERATED = /api[-_]?reference|(?:^|[/_.-])(?:zz_)?generated(?:[/_.-]|$)|swagger|openapi/i;
const BINARY_EXTENSIONS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'svg',
  'ico',
  'bmp',
  'tif',
  'tiff',
  'psd',
  'ai',
  'eps',
  'woff',
  'woff2',
  'ttf',
  'otf',
  'eot',
  'zip',
  'gz',
  'tgz',
  'bz2',
  'xz',
  'zst',
  '7z',
  'rar',
  'tar',
  'jar',
  'war',
  'whl',
  'exe',
  'dll',
  'so',
  'dylib',
  'a',
  'o',
  'bin',
  'class',
  'pyc',
  'wasm',
  'mp3',
  'mp4',
  'mov',
  'webm',
  'avi',
  'wav',
  'ogg',
  'doc',
  'docx',
  'ppt',
  'pptx',
  'xls',
  'xlsx',
  'odt',
  'key',
  'sketch',
  'fig',
  'drawio',
]);

/**
 * Chooses the documentation files of a repository tree. Taken: `README*` anywhere, everything
 * textual under a `docs/`, `doc/` or `documentation/` folder, `*.md`, `*.mdx`, `*.rst`,
 * `*.adoc`, `*.pdf`, and example YAML (`examples/**\/*.y?ml`, `*example*.y?ml`), plus
 * `include`. Dropped, each with a reason: `exclude`, vendored dependencies (`vendor/`,
 * `third_party/`, `node_modules/`, `testdata/`, …), `.github/` issue and PR templates and
 * workflows, changelogs inside bundled dependency folders, binary files other than PDF,
 * symbolic links, files over `maxFileBytes`, and generated API references (paths naming
 * `api-reference`, `generated`, `zz_generated`, `swagger`, `openapi`) over `maxGeneratedBytes`.
 *
 * Files no rule takes (source code, images outside docs folders) are neither selected nor
 * listed as skipped: a repository has thousands, and listing them would drown the real skips.
 *
 * Glob patterns match case-insensitively; one without a `/` matches the file name at any
 * depth, like `.gitignore`.
 */
export function selectDocFiles(
  entries: readonly TreeEntry[],
  options: SelectDocFilesOptions = {},
): DocFileSelection {
  const include = (options.include ?? []).map(toMatcher);
  const exclude = (options.exclude ?? []).map(toMatcher);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxGeneratedBytes = options.maxGeneratedBytes ?? DEFAULT_MAX_GENERATED_BYTES;
  const selected: TreeEntry[] = [];
  const skipped: DocFileSelection['skipped'] = [];

  for (const entry of entries) {
    if (entry.type !== 'blob') continue;
    const path = entry.path;
    const included = include.some((m) => m(path));
    const rule = docRule(path);
    if (!included && rule === null) continue;
    // An include pattern vouches for the format, so it skips the docs-folder format check.
    const reason = exclusionReason(
      entry,
      included ? null : rule,
      exclude,
      maxFileBytes,
      maxGeneratedBytes,
    );
    if (reason === null) selected.push(entry);
    else skipped.push({ path, reason });
  }
  return { selected, skipped };
}

/**
 * Whether a folder can hold files {@link selectDocFiles} would take: `false` for vendored
 * dependency folders. Lets a directory-by-directory walk skip them without listing them.
 */
export function mayHoldDocFiles(directory: string): boolean {
  return !directory
    .split('/')
    .some((segment) => VENDOR_DIRS.has(segment.toLowerCase()) || segment === '.git');
}

/** Whether the built-in rules take `path` as documentation (before exclusions). */
export function isDocCandidate(path: string): boolean {
  return docRule(path) !== null;
}

type DocRule = 'readme' | 'doc-format' | 'example-yaml' | 'docs-folder';

function docRule(path: string): DocRule | null {
  const segments = path.split('/');
  const name = segments.at(-1) ?? '';
  const directories = segments.slice(0, -1).map((s) => s.toLowerCase());
  const ext = extensionOf(name);
  if (/^readme(?:\.|$)/i.test(name)) return 'readme';
  if (DOC_EXTENSIONS.has(ext)) return 'doc-format';
  if (ext === 'yaml' || ext === 'yml') {
    if (/example/i.test(name) || directories.some((d) => EXAMPLE_DIRS.has(d))) {
      return 'example-yaml';
    }
  }
  if (directories.some((d) => DOCS_DIRS.has(d))) return 'docs-folder';
  return null;
}

function exclusionReason(
  entry: TreeEntry,
  rule: DocRule | null,
  exclude: ((path: string) => boolean)[],
  maxFileBytes: number,
  maxGeneratedBytes: number,
): string | null {
  const path = entry.path;
  const segments = path.split('/');
  const name = segments.at(-1) ?? '';
  const directories = segments.slice(0, -1);
  const lowerDirs = directories.map((s) => s.toLowerCase());
  const ext = extensionOf(name);
  const size = entry.size ?? 0;

  if (exclude.some((m) => m(path))) return 'excluded by an exclude pattern';
  const vendor = lowerDirs.findIndex((d) => VENDOR_DIRS.has(d));
  if (vendor !== -1) {
    return `inside a vendored dependency directory (${directories.slice(0, vendor + 1).join('/')}/)`;
  }
  if (GITHUB_TEMPLATE.test(path))
    return 'GitHub issue/pull-request template or workflow (.github/)';
  if (
    /^(?:changelog|changes|history)(?:\.|$)/i.test(name) &&
    lowerDirs.some((d) => BUNDLED_DIRS.has(d))
  ) {
    return 'changelog of a bundled dependency';
  }
  if (entry.mode === '120000') return 'symbolic link';
  if (BINARY_EXTENSIONS.has(ext)) return `binary file (.${ext}); only PDF is read`;
  // A docs folder also holds site code and assets (JS, CSS, Go templates): not prose.
  if (rule === 'docs-folder' && !DOCS_DIR_EXTENSIONS.has(ext)) {
    return ext === ''
      ? 'not a documentation format (no extension)'
      : `not a documentation format (.${ext})`;
  }
  if (size > maxFileBytes) return `too large (${formatBytes(size)} > ${formatBytes(maxFileBytes)})`;
  if (size > maxGeneratedBytes && GENERATED.test(path)) {
    return `generated API reference (${formatBytes(size)} > ${formatBytes(maxGeneratedBytes)})`;
  }
  return null;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

function formatBytes(bytes: number): string {
  const oneDecimal = (n: number) => n.toFixed(1).replace(/\.0$/, '');
  if (bytes >= 1024 * 1024) return `${oneDecimal(bytes / (1024 * 1024))} MiB`;
  if (bytes >= 10 * 1024) return `${oneDecimal(bytes / 1024)} KiB`;
  return `${bytes} B`;
}

function toMatcher(pattern: PathPattern): (path: string) => boolean {
  if (pattern instanceof RegExp) return (path) => pattern.test(path);
  const regex = globToRegExp(pattern);
  if (pattern.includes('/')) return (path) => regex.test(path);
  return (path) => regex.test(path.slice(path.lastIndexOf('/') + 1));
}

/** `**` any depth, `*` and `?` within one segment, `{a,b}` alternatives. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        out += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      out += '(?:';
      depth += 1;
    } else if (c === '}' && depth > 0) {
      out += ')';
      depth -= 1;
    } else if (c === ',' && depth > 0) out += '|';
    else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out.replace(/^\//, '')}$`, 'i');
}
