// Python's `str.split()` / `str.strip()` treat a slightly different set of characters as
// whitespace than JavaScript's `\s`: Python adds the information separators U+001C–U+001F and
// NEL (U+0085) and does not count the BOM (U+FEFF). sacreBLEU's behaviour follows Python's set.
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const RUNS = new RegExp(`[${WS}]+`, 'g');
const TRAILING = new RegExp(`[${WS}]+$`);
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
  return line.replace(TRAILING, '');
}

/** Python's `line.strip()`. */
export function strip(line: string): string {
  return line.replace(EDGES, '');
}

/** Python's `''.join(line.split())`: the line with all whitespace removed. */
export function removeWhitespace(line: string): string {
  return line.replace(RUNS, '');
}
