// A small TOML reader for Hugo's `+++` front matter: tables, arrays of tables, dotted keys,
// strings (basic, literal, multi-line), numbers, booleans, dates (kept as text), arrays and
// inline tables. No dependency ships one, and front matter never needs more than this.

/** A TOML document as plain data. Dates and times are kept as the text the author wrote. */
export type TomlTable = { [key: string]: TomlValue };
/** One TOML value. */
export type TomlValue = string | number | boolean | TomlValue[] | TomlTable;

/** Why a TOML document could not be read, with the line it happened on. */
export class TomlError extends Error {
  override readonly name = 'TomlError';
}

/** Parses a TOML document. @throws {TomlError} on a syntax error. */
export function parseToml(source: string): TomlTable {
  return new TomlParser(source).document();
}

class TomlParser {
  private pos = 0;
  private readonly root: TomlTable = {};

  constructor(private readonly src: string) {}

  document(): TomlTable {
    let current = this.root;
    for (;;) {
      this.skipBlank();
      if (this.pos >= this.src.length) return this.root;
      if (this.src.startsWith('[[', this.pos)) {
        this.pos += 2;
        const path = this.key();
        this.expect(']]');
        const array = this.ensure(this.root, path.slice(0, -1), path[path.length - 1]!, 'array');
        const table: TomlTable = {};
        (array as TomlValue[]).push(table);
        current = table;
      } else if (this.src[this.pos] === '[') {
        this.pos++;
        const path = this.key();
        this.expect(']');
        current = this.ensure(
          this.root,
          path.slice(0, -1),
          path[path.length - 1]!,
          'table',
        ) as TomlTable;
      } else {
        const path = this.key();
        this.skipSpaces();
        this.expect('=');
        this.skipSpaces();
        const value = this.value();
        const target =
          path.length > 1 ? (this.ensurePath(current, path.slice(0, -1)) as TomlTable) : current;
        target[path[path.length - 1]!] = value;
      }
      this.endOfLine();
    }
  }

  private ensurePath(start: TomlTable, path: string[]): TomlTable {
    let table = start;
    for (const part of path) {
      const next = table[part];
      if (next === undefined) {
        const created: TomlTable = {};
        table[part] = created;
        table = created;
      } else if (Array.isArray(next)) {
        const last = next[next.length - 1];
        if (last === undefined || typeof last !== 'object' || Array.isArray(last))
          this.fail(`"${part}" is not a table`);
        table = last as TomlTable;
      } else if (typeof next === 'object') {
        table = next;
      } else {
        this.fail(`"${part}" is not a table`);
      }
    }
    return table;
  }

  private ensure(
    start: TomlTable,
    parents: string[],
    last: string,
    kind: 'table' | 'array',
  ): TomlValue {
    const parent = this.ensurePath(start, parents);
    const existing = parent[last];
    if (existing !== undefined) {
      if (kind === 'array' && !Array.isArray(existing))
        this.fail(`"${last}" is not an array of tables`);
      if (kind === 'table' && (typeof existing !== 'object' || Array.isArray(existing))) {
        this.fail(`"${last}" is already defined`);
      }
      return existing;
    }
    const created: TomlValue = kind === 'array' ? [] : {};
    parent[last] = created;
    return created;
  }

  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      const ch = this.src[this.pos];
      if (ch === '"') parts.push(this.basicString());
      else if (ch === "'") parts.push(this.literalString());
      else {
        const match = /^[A-Za-z0-9_-]+/.exec(this.src.slice(this.pos, this.pos + 256));
        if (match === null) this.fail('expected a key');
        parts.push(match[0]);
        this.pos += match[0].length;
      }
      this.skipSpaces();
      if (this.src[this.pos] !== '.') return parts;
      this.pos++;
    }
  }

  private value(): TomlValue {
    const rest = this.src.slice(this.pos, this.pos + 64);
    const ch = rest[0];
    if (rest.startsWith('"""')) return this.multilineBasic();
    if (rest.startsWith("'''")) return this.multilineLiteral();
    if (ch === '"') return this.basicString();
    if (ch === "'") return this.literalString();
    if (ch === '[') return this.array();
    if (ch === '{') return this.inlineTable();
    if (rest.startsWith('true') && !/^true[A-Za-z0-9_]/.test(rest)) {
      this.pos += 4;
      return true;
    }
    if (rest.startsWith('false') && !/^false[A-Za-z0-9_]/.test(rest)) {
      this.pos += 5;
      return false;
    }
    const date =
      /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?|^\d{2}:\d{2}:\d{2}(?:\.\d+)?/.exec(
        rest,
      );
    if (date !== null) {
      this.pos += date[0].length;
      return date[0];
    }
    const number =
      /^[+-]?(?:0x[\da-fA-F_]+|0o[0-7_]+|0b[01_]+|inf|nan|(?:\d[\d_]*)(?:\.[\d_]+)?(?:[eE][+-]?\d+)?)/.exec(
        rest,
      );
    if (number !== null && number[0] !== '' && number[0] !== '+' && number[0] !== '-') {
      this.pos += number[0].length;
      return toNumber(number[0]);
    }
    this.fail('expected a value');
  }

  private array(): TomlValue[] {
    this.pos++;
    const items: TomlValue[] = [];
    for (;;) {
      this.skipBlank();
      if (this.src[this.pos] === ']') {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.skipBlank();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== ']') this.fail('expected "," or "]" in an array');
    }
  }

  private inlineTable(): TomlTable {
    this.pos++;
    const table: TomlTable = {};
    for (;;) {
      this.skipSpaces();
      if (this.src[this.pos] === '}') {
        this.pos++;
        return table;
      }
      const path = this.key();
      this.skipSpaces();
      this.expect('=');
      this.skipSpaces();
      const value = this.value();
      const target = path.length > 1 ? this.ensurePath(table, path.slice(0, -1)) : table;
      target[path[path.length - 1]!] = value;
      this.skipSpaces();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== '}') this.fail('expected "," or "}" in an inline table');
    }
  }

  private basicString(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === undefined || ch === '\n') this.fail('unterminated string');
      this.pos++;
      if (ch === '"') return out;
      out += ch === '\\' ? this.escape() : ch;
    }
  }

  private multilineBasic(): string {
    this.pos += 3;
    if (this.src[this.pos] === '\n') this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail('unterminated multi-line string');
      if (this.src.startsWith('"""', this.pos)) {
        this.pos += 3;
        // Up to two quotes may close the content right before the delimiter.
        for (let extra = 0; extra < 2 && this.src[this.pos] === '"'; extra++) {
          out += '"';
          this.pos++;
        }
        return out;
      }
      const ch = this.src[this.pos++]!;
      if (ch === '\\') {
        if (/^[ \t]*\n/.test(this.src.slice(this.pos, this.pos + 80))) {
          // A backslash at the end of a line joins it with the next non-blank text.
          while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
        } else {
          out += this.escape();
        }
      } else {
        out += ch;
      }
    }
  }

  private literalString(): string {
    const end = this.src.indexOf("'", this.pos + 1);
    const newline = this.src.indexOf('\n', this.pos + 1);
    if (end === -1 || (newline !== -1 && newline < end)) this.fail('unterminated string');
    const out = this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
    return out;
  }

  private multilineLiteral(): string {
    let start = this.pos + 3;
    if (this.src[start] === '\n') start++;
    const end = this.src.indexOf("'''", start);
    if (end === -1) this.fail('unterminated multi-line string');
    let close = end + 3;
    while (this.src[close] === "'") close++;
    this.pos = close;
    return this.src.slice(start, close - 3);
  }

  private escape(): string {
    const ch = this.src[this.pos++];
    switch (ch) {
      case 'b':
        return '\b';
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'f':
        return '\f';
      case 'r':
        return '\r';
      case 'e':
        return '\u001b';
      case '"':
        return '"';
      case '\\':
        return '\\';
      case 'u':
      case 'U': {
        const length = ch === 'u' ? 4 : 8;
        const hex = this.src.slice(this.pos, this.pos + length);
        if (!/^[\da-fA-F]+$/.test(hex) || hex.length !== length) this.fail('bad unicode escape');
        this.pos += length;
        return String.fromCodePoint(Number.parseInt(hex, 16));
      }
      default:
        this.fail(`unknown escape "\\${ch ?? ''}"`);
    }
  }

  private skipSpaces(): void {
    while (this.src[this.pos] === ' ' || this.src[this.pos] === '\t') this.pos++;
  }

  /** Whitespace, newlines and comments. */
  private skipBlank(): void {
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') this.pos++;
      else if (ch === '#') {
        const end = this.src.indexOf('\n', this.pos);
        this.pos = end === -1 ? this.src.length : end;
      } else return;
    }
  }

  private endOfLine(): void {
    this.skipSpaces();
    const ch = this.src[this.pos];
    if (ch === '#') {
      const end = this.src.indexOf('\n', this.pos);
      this.pos = end === -1 ? this.src.length : end;
      return;
    }
    if (ch === undefined || ch === '\n' || ch === '\r') return;
    this.fail('expected the end of the line');
  }

  private expect(text: string): void {
    if (!this.src.startsWith(text, this.pos)) this.fail(`expected "${text}"`);
    this.pos += text.length;
  }

  private fail(message: string): never {
    const line = this.src.slice(0, this.pos).split('\n').length;
    throw new TomlError(`${message} on line ${line}`);
  }
}

function toNumber(text: string): number {
  const clean = text.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const unsigned = clean.replace(/^[+-]/, '');
  if (unsigned === 'inf') return sign * Number.POSITIVE_INFINITY;
  if (unsigned === 'nan') return Number.NaN;
  if (unsigned.startsWith('0x')) return sign * Number.parseInt(unsigned.slice(2), 16);
  if (unsigned.startsWith('0o')) return sign * Number.parseInt(unsigned.slice(2), 8);
  if (unsigned.startsWith('0b')) return sign * Number.parseInt(unsigned.slice(2), 2);
  return Number(clean);
}
