// sacreBLEU works on Python `str` values: characters are code points (an emoji is one character,
// not two UTF-16 units), whitespace is what `str.isspace()` accepts and lowercasing is
// `str.lower()` of the Python the reference ran on (3.11, Unicode 14). These helpers give the
// same answers, so every metric sees the text exactly as sacreBLEU does.

// Letters that Node's newer Unicode tables (15.0–17.0) lowercase but Python 3.11 leaves alone:
// Cyrillic TJE, the Latin Extended-D additions, Garay and Beria Erfe capitals. Python 3.11 treats
// them as unassigned, which also makes them neither cased nor case-ignorable, so lowercasing the
// text around them piece by piece gives the same final-sigma decisions as Python.
const NEWER_UPPERCASE =
  /[\u1c89\ua7cb\ua7cc\ua7ce\ua7d2\ua7d4\ua7da\ua7dc\u{10d50}-\u{10d65}\u{16ea0}-\u{16eb8}]/u;
const NEWER_UPPERCASE_ALL = new RegExp(NEWER_UPPERCASE.source, 'gu');

/** Python 3.11's `text.lower()`, including the final-sigma rule and `İ` → `i̇`. */
export function pythonLower(text: string): string {
  if (!NEWER_UPPERCASE.test(text)) return text.toLowerCase();
  let lowered = '';
  let from = 0;
  for (const match of text.matchAll(NEWER_UPPERCASE_ALL)) {
    lowered += text.slice(from, match.index).toLowerCase() + match[0];
    from = match.index + match[0].length;
  }
  return lowered + text.slice(from).toLowerCase();
}

// Python's whitespace (`str.isspace()`, used by `str.split()` and `str.strip()`), as ranges of
// code points. Unlike JavaScript's `\s` it includes U+001C–U+001F and U+0085 and excludes the
// BOM (U+FEFF). All are in the BMP, so testing single UTF-16 units is exact.
const PYTHON_SPACE: readonly (readonly [number, number])[] = [
  [0x09, 0x0d],
  [0x1c, 0x20],
  [0x85, 0x85],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const SPACE_TABLE = new Uint8Array(0x3001);
for (const [from, to] of PYTHON_SPACE) SPACE_TABLE.fill(1, from, to + 1);

/** Whether UTF-16 unit `unit` is whitespace to Python's `str.isspace()` / `str.split()`. */
export function isPythonSpace(unit: number): boolean {
  return unit <= 0x3000 && SPACE_TABLE[unit] === 1;
}

/**
 * Writes the code points of `text` to `out` (which must hold `text.length` values), leaving out
 * Python whitespace unless `keepWhitespace`; returns how many were written. A lone surrogate
 * counts as one character, as it would in Python.
 */
export function codePointsOf(text: string, keepWhitespace: boolean, out: Int32Array): number {
  const units = text.length;
  let count = 0;
  for (let i = 0; i < units; i++) {
    let unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < units) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    } else if (!keepWhitespace && isPythonSpace(unit)) continue;
    out[count++] = unit;
  }
  return count;
}

// The same set as a regex class, for splitting and stripping.
const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
const WS = PYTHON_SPACE.map(([from, to]) =>
  from === to ? hex(from) : `${hex(from)}-${hex(to)}`,
).join('');
const RUNS = new RegExp(`[${WS}]+`, 'g');
const EDGES = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');

/** Python's `line.split()`: the non-empty runs between whitespace. */
export function splitWhitespace(line: string): string[] {
  const parts = line.split(RUNS);
  if (parts.length > 0 && parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Python's `' '.join(line.split())`: single spaces, no leading or trailing whitespace. */
export function squeezeWhitespace(line: string): string {
  return line.replace(RUNS, ' ').replace(/^ | $/g, '');
}

/** Python's `line.rstrip()`. */
export function rstrip(line: string): string {
  let end = line.length;
  while (end > 0 && isPythonSpace(line.charCodeAt(end - 1))) end--;
  return end === line.length ? line : line.slice(0, end);
}

/** Python's `line.strip()`. */
export function strip(line: string): string {
  return line.replace(EDGES, '');
}
