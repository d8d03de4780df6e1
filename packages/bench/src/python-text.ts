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

/**
 * Whether UTF-16 unit `unit` is whitespace to Python's `str.isspace()` / `str.split()`. Every
 * such character is in the BMP, so testing single units is exact. Unlike JavaScript's `\s`, it
 * includes U+001C–U+001F and U+0085 and excludes the BOM (U+FEFF).
 */
export function isPythonSpace(unit: number): boolean {
  if (unit <= 0x20) return unit === 0x20 || (unit >= 0x09 && unit <= 0x0d) || unit >= 0x1c;
  if (unit < 0x85) return false;
  return (
    unit === 0x85 ||
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000
  );
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

// The same whitespace set as `isPythonSpace`, as a regex class for splitting and stripping.
const WS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
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
