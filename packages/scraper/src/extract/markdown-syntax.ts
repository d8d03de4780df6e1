// Small markdown-writing helpers shared by the HTML converter and the other format cleaners.

const INLINE_SPECIAL = /[\\`*_[\]<&~]/;
const INLINE_SPECIAL_ALL = /[\\`*_[\]<&~]/g;
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const WORD_CHAR = /[\p{L}\p{N}]/u;
const SPACE = /\s/;
const ENTITY_LIKE = /^&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);/i;
// What may follow `<` in a raw HTML tag, comment, declaration or an autolink (`<https:`, `<a@b`).
const TAG_START = /^(?:[A-Za-z][\w+.-]*(?:[\s/>:@]|$)|\/[A-Za-z]|[!?])/;
// A `]` that, after a `[`, would make a link, an image or a link reference definition.
const LINK_CLOSER = /\](?:[([:]|$)/g;

/**
 * Escapes text so that markdown shows it literally. Only characters that could start markup
 * where they stand are escaped, so ordinary prose stays readable: `snake_case`, `acme_` and
 * `a-z0-9_` keep their underscores, `2 * 3` and `5 ~ 8` their operators, `[start, end)` and
 * `byte[]` their brackets, `<client,peer>` its angle bracket, `C:\dir` its backslash.
 *
 * The text is one run of a paragraph whose neighbours are unknown, so at its edges the
 * choice is the safe one. Set `brackets` inside link text and image descriptions, where every
 * bracket must be escaped.
 */
export function escapeInline(text: string, brackets = false): string {
  if (!INLINE_SPECIAL.test(text)) return text;
  // Brackets matter only when some `]` could close a link: `[` before the last such `]` is
  // escaped, and a `]` with no `[` before it in this run (its `[` may be in an earlier run).
  let lastCloser = -2;
  const firstOpen = text.indexOf('[');
  const closerAfter = (index: number): boolean => {
    if (lastCloser === -2) {
      lastCloser = -1;
      LINK_CLOSER.lastIndex = 0;
      for (let match = LINK_CLOSER.exec(text); match !== null; match = LINK_CLOSER.exec(text)) {
        lastCloser = match.index;
        LINK_CLOSER.lastIndex = match.index + 1;
      }
    }
    return index < lastCloser;
  };
  return text.replace(INLINE_SPECIAL_ALL, (ch: string, index: number, whole: string) => {
    const next = whole[index + 1] ?? '';
    switch (ch) {
      case '\\':
        return ASCII_PUNCTUATION.test(next) ? '\\\\' : '\\';
      case '_':
        // After a letter or digit `_` cannot open emphasis (CommonMark's flanking rules), and
        // a closer without an opener is literal: only an `_` that may open is escaped.
        return WORD_CHAR.test(whole[index - 1] ?? '') ? '_' : '\\_';
      case '*':
      case '~':
        // Between spaces neither opens nor closes emphasis or strikethrough.
        return SPACE.test(whole[index - 1] ?? '') && SPACE.test(next) ? ch : `\\${ch}`;
      case '[':
        return brackets || closerAfter(index) ? '\\[' : '[';
      case ']':
        return brackets || ((firstOpen === -1 || firstOpen > index) && /^(?:[([:]|$)/.test(next))
          ? '\\]'
          : ']';
      case '<':
        return TAG_START.test(whole.slice(index + 1, index + 40)) ? '\\<' : '<';
      case '&':
        return ENTITY_LIKE.test(whole.slice(index, index + 12)) ? '\\&' : '&';
      default:
        return `\\${ch}`;
    }
  });
}

const LINE_START_MARKUP = /^(?:#{1,6}(?:\s|$)|>|[-+*](?:\s|$)|=+\s*$|-+\s*$|\|)/;
const ORDERED_MARKER = /^(\d{1,9})([.)])(\s|$)/;

/** Escapes what would turn the start of a paragraph line into a heading, list, quote or rule. */
export function escapeLineStart(line: string): string {
  const ordered = ORDERED_MARKER.exec(line);
  if (ordered !== null) return `${ordered[1]}\\${line.slice(ordered[1]!.length)}`;
  return LINE_START_MARKUP.test(line) ? `\\${line}` : line;
}

/** A fence of backticks longer than any run of three or more backticks inside `code`. */
export function fenceFor(code: string): string {
  let longest = 2;
  const runs = code.match(/`{3,}/g);
  if (runs !== null) for (const run of runs) longest = Math.max(longest, run.length);
  return '`'.repeat(longest + 1);
}

/** A fenced code block; the info string is the language, or nothing when unknown. */
export function fencedCode(code: string, language: string | null): string {
  const fence = fenceFor(code);
  return `${fence}${language ?? ''}\n${code}\n${fence}`;
}

/** An inline code span whose delimiter cannot clash with backticks inside `code`. */
export function inlineCode(code: string): string {
  if (code === '') return '';
  let longest = 0;
  const runs = code.match(/`+/g);
  if (runs !== null) for (const run of runs) longest = Math.max(longest, run.length);
  const ticks = '`'.repeat(longest + 1);
  const pad =
    code.startsWith('`') || code.endsWith('`') || (/^ .*\S.* $/.test(code) && code.length > 2);
  return pad ? `${ticks} ${code} ${ticks}` : `${ticks}${code}${ticks}`;
}

/** Makes a URL safe inside `(...)` of a markdown link: no spaces, no unbalanced parentheses. */
export function linkDestination(url: string): string {
  return /[\s()<>]/.test(url)
    ? url.replace(
        /[\s()<>]/g,
        (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
      )
    : url;
}

const GITHUB_FILE = /^https:\/\/github\.com\/([^/?#]+)\/([^/?#]+)\/(?:blob|tree|raw)\/([^/?#]+)\//;
const GITHUB_RAW_FILE = /^https:\/\/raw\.githubusercontent\.com\/([^/?#]+)\/([^/?#]+)\/([^/?#]+)\//;

/**
 * Resolves a link of a source file against the file's URL, as the page showing it would: like
 * `new URL`, except that GitHub renders a repository file's root-relative links (`/docs/x.md`)
 * from the repository's root, not from github.com's.
 *
 * @throws {TypeError} when the result is no URL, as `new URL` does.
 */
export function resolveSourceLink(target: string, base: string): string {
  if (target.startsWith('/') && !target.startsWith('//')) {
    const file = GITHUB_FILE.exec(base);
    if (file !== null) {
      return new URL(`.${target}`, `https://github.com/${file[1]}/${file[2]}/blob/${file[3]}/`)
        .href;
    }
    const raw = GITHUB_RAW_FILE.exec(base);
    if (raw !== null) {
      return new URL(
        `.${target}`,
        `https://raw.githubusercontent.com/${raw[1]}/${raw[2]}/${raw[3]}/`,
      ).href;
    }
  }
  return new URL(target, base).href;
}

/** A link title in double quotes, escaped. */
export function linkTitle(title: string): string {
  return `"${title.replace(/["\\]/g, '\\$&')}"`;
}

/** Prefixes every line; empty lines get `emptyPrefix` so that no line ends in a space. */
export function prefixLines(text: string, prefix: string, emptyPrefix = prefix.trimEnd()): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? emptyPrefix : prefix + line))
    .join('\n');
}

const FENCE_LINE = /^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})(.*)$/;

/**
 * Final tidy-up of generated markdown: outside fenced code no trailing spaces or tabs and at
 * most one blank line in a row (inside it, both are content); no leading blank lines, one final
 * newline. Fences are recognised through blockquote markers and list indentation.
 */
export function normaliseMarkdown(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  let blank = 0;
  for (const raw of lines) {
    // Inside a fence every character is content, trailing spaces included.
    const line = fence === null ? raw.replace(/[ \t]+$/, '') : raw;
    const match = FENCE_LINE.exec(line);
    if (fence === null) {
      if (match !== null && !(match[1]!.startsWith('`') && match[2]!.includes('`'))) {
        fence = match[1]!;
      }
    } else if (
      match !== null &&
      match[1]![0] === fence[0] &&
      match[1]!.length >= fence.length &&
      match[2]!.trim() === ''
    ) {
      fence = null;
      blank = 0;
      out.push(line);
      continue;
    } else {
      out.push(line);
      continue;
    }
    if (line === '') {
      blank++;
      if (blank > 1 || out.length === 0) continue;
    } else {
      blank = 0;
    }
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
