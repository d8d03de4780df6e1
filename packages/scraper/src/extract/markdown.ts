import { splitFrontMatter } from './front-matter.js';
import type { JsonValue } from './json-value.js';
import { fencedCode, linkDestination, prefixLines, resolveSourceLink } from './markdown-syntax.js';

/** Options of {@link cleanMarkdown}. */
export interface CleanMarkdownOptions {
  /** Where the file was fetched from: relative links and `{{< ref >}}` targets resolve against it. */
  url?: string;
  /** `mdx` also drops `import`/`export` lines and JSX components. @default from `url` (`.mdx`), else `md` */
  flavour?: 'md' | 'mdx';
  /**
   * Hugo site parameters for `{{< param name >}}` and `{{< psubstr name … >}}`. As in Hugo, the
   * page's own front matter (its keys and its `params`) comes first. A parameter found in
   * neither keeps its shortcode text, since its value is not in the file.
   */
  params?: Record<string, string>;
}

/** What {@link cleanMarkdown} makes of a markdown or MDX file. */
export interface CleanedMarkdown {
  /** The content as plain CommonMark/GFM, ending with a newline unless empty. */
  markdown: string;
  /** `title` from the front matter, else the first `#` heading, else `''`. */
  title: string;
  /** The parsed YAML or TOML front matter (`{}` when none). */
  frontMatter: Record<string, JsonValue>;
  /** Absolute `http(s)` link targets, without fragment, deduplicated, in order. */
  links: string[];
  /** Problems that did not stop the cleaning, e.g. `front-matter-invalid: …`. */
  warnings: string[];
}

/**
 * Turns a docs-repository markdown or MDX file into the markdown a reader of the rendered site
 * sees: front matter parsed off; Hugo shortcodes converted (`ref`/`relref` to URLs, `alert` to
 * a blockquote, `highlight` and Docsy `tab`s with a language to fenced code, `figure` to an
 * image) or removed with their inner text kept; Docusaurus `:::note` directives and MDX
 * `<Admonition>`s made blockquotes; MDX `import`/`export` lines and other JSX tags dropped;
 * HTML comments removed; links resolved against `url`. Code fences and inline code are never
 * changed.
 */
export function cleanMarkdown(source: string, options: CleanMarkdownOptions = {}): CleanedMarkdown {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const { data, body, warnings } = splitFrontMatter(text);
  const flavour =
    options.flavour ??
    (options.url !== undefined && /\.mdx(?:[?#]|$)/i.test(options.url) ? 'mdx' : 'md');
  const tokens = tokenize(body, flavour === 'mdx');
  const tree = buildTree(tokens);
  // Hugo matches parameter names without regard to case.
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...options.params, ...pageParams(data) })) {
    params[name.toLowerCase()] = value;
  }
  const renderer = new Renderer(options.url, params);
  const rendered = renderer.render(tree);
  const { markdown, links } = finalise(rendered, renderer.codeSpans, options.url);
  const fmTitle = data.title;
  const title =
    typeof fmTitle === 'string' && fmTitle.trim() !== ''
      ? fmTitle.trim()
      : typeof fmTitle === 'number'
        ? String(fmTitle)
        : firstHeading(markdown);
  return { markdown, title, frontMatter: data, links, warnings };
}

/**
 * What `{{< param >}}` finds in a page's front matter: its scalar keys and those of its
 * `params` map, nested maps as dotted names (`{{< param "a.b" >}}`).
 */
function pageParams(frontMatter: Record<string, JsonValue>): Record<string, string> {
  const params: Record<string, string> = {};
  const add = (value: JsonValue, name: string, depth: number): void => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      params[name] = String(value);
    } else if (value !== null && !Array.isArray(value) && depth < 4) {
      for (const [key, inner] of Object.entries(value)) add(inner, `${name}.${key}`, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(frontMatter)) {
    // `cascade` is for the pages below this one; `params` is read below, undotted.
    if (key !== 'cascade' && key !== 'params') add(value, key, 0);
  }
  const nested = frontMatter.params;
  if (
    nested !== undefined &&
    nested !== null &&
    typeof nested === 'object' &&
    !Array.isArray(nested)
  ) {
    for (const [key, value] of Object.entries(nested)) add(value, key, 0);
  }
  return params;
}

// ---------------------------------------------------------------------------------------------
// Tokens

interface Attributes {
  positional: string[];
  named: Record<string, string>;
}

type Family = 'shortcode' | 'directive' | 'jsx';

interface TagToken {
  kind: 'open' | 'close' | 'single';
  family: Family;
  name: string;
  attrs: Attributes;
  raw: string;
  /** Colons of a `:::` directive, to pair nested ones. */
  colons?: number;
  /** The `[title]` or trailing text of a directive's opening line. */
  label?: string;
}

type Token =
  | { kind: 'text'; text: string }
  /** Code: fences and inline code spans, never changed. */
  | { kind: 'code'; text: string; inline: boolean }
  /** Removed unless inside code-like shortcodes, which keep everything literally. */
  | { kind: 'comment'; text: string }
  | TagToken;

const FENCE_OPEN = /^((?:[ \t]*>)*[ \t]*)(`{3,}|~{3,})(.*)$/;

/** Splits a document into code fences and text, then text into shortcodes, comments, code spans, directives and JSX. */
function tokenize(body: string, mdx: boolean): Token[] {
  const tokens: Token[] = [];
  const lines = body.split('\n');
  let text: string[] = [];
  const flushText = (): void => {
    if (text.length > 0) {
      tokenizeText(`${text.join('\n')}\n`, mdx, tokens);
      text = [];
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = FENCE_OPEN.exec(line);
    if (open === null || (open[2]!.startsWith('`') && open[3]!.includes('`'))) {
      text.push(line);
      continue;
    }
    flushText();
    const fence = open[2]!;
    const fenceLines = [line];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const candidate = lines[j]!;
      fenceLines.push(candidate);
      const close = FENCE_OPEN.exec(candidate);
      if (
        close !== null &&
        close[2]![0] === fence[0] &&
        close[2]!.length >= fence.length &&
        close[3]!.trim() === ''
      ) {
        break;
      }
    }
    i = j;
    // An unclosed fence runs to the end of the document, as in CommonMark.
    tokens.push({ kind: 'code', text: `${fenceLines.join('\n')}\n`, inline: false });
  }
  flushText();
  // The split added a final newline the source may not have had; the renderer trims it anyway.
  return tokens;
}

const TEXT_SPECIAL = /<!--|\{\{[<%]|`+|^[ \t]*:{3,}|<\/?[A-Z]|\{\/\*|^(?:import|export)[\s{]/gm;
const TEXT_SPECIAL_MD = /<!--|\{\{[<%]|`+|^[ \t]*:{3,}/gm;

function tokenizeText(text: string, mdx: boolean, tokens: Token[]): void {
  const special = mdx ? TEXT_SPECIAL : TEXT_SPECIAL_MD;
  special.lastIndex = 0;
  let last = 0;
  const pushText = (end: number): void => {
    if (end > last) tokens.push({ kind: 'text', text: text.slice(last, end) });
  };
  for (;;) {
    const match = special.exec(text);
    if (match === null) break;
    const start = match.index;
    const found = match[0];
    let end = -1;
    let token: Token | null = null;
    if (found === '<!--') {
      const close = text.indexOf('-->', start + 4);
      if (close !== -1) {
        end = close + 3;
        token = { kind: 'comment', text: text.slice(start, end) };
      }
    } else if (found.startsWith('{{')) {
      const shortcode = parseShortcode(text, start);
      if (shortcode !== null) {
        end = shortcode.end;
        token = shortcode.token;
      }
    } else if (found.startsWith('`')) {
      const close = findCodeSpanEnd(text, start + found.length, found.length);
      if (close === -1) {
        // Backticks without a partner are literal text.
        special.lastIndex = start + found.length;
        continue;
      }
      end = close;
      token = { kind: 'code', text: text.slice(start, end), inline: true };
    } else if (found.includes(':::')) {
      const lineEnd = text.indexOf('\n', start);
      const directiveEnd = lineEnd === -1 ? text.length : lineEnd + 1;
      const directive = parseDirective(text.slice(start, lineEnd === -1 ? text.length : lineEnd));
      if (directive !== null) {
        end = directiveEnd;
        token = directive;
      }
    } else if (found === '{/*') {
      const close = text.indexOf('*/}', start + 3);
      if (close !== -1) {
        end = close + 3;
        token = { kind: 'comment', text: text.slice(start, end) };
      }
    } else if (found.startsWith('import') || found.startsWith('export')) {
      end = statementEnd(text, start);
      token = { kind: 'comment', text: text.slice(start, end) };
    } else {
      const jsx = parseJsxTag(text, start);
      if (jsx !== null) {
        end = jsx.end;
        token = jsx.token;
        // A JSX tag alone on its line takes the line with it.
        if (
          /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n', start - 1) + 1, start)) &&
          text[end] === '\n'
        ) {
          end++;
        }
      }
    }
    if (token === null || end === -1) {
      special.lastIndex = start + 1;
      continue;
    }
    pushText(start);
    tokens.push(token);
    last = end;
    special.lastIndex = end;
  }
  pushText(text.length);
}

/** End of an inline code span opened by `ticks` backticks, searched up to the next blank line. */
function findCodeSpanEnd(text: string, from: number, ticks: number): number {
  const blank = text.indexOf('\n\n', from);
  const limit = blank === -1 ? text.length : blank;
  const pattern = /`+/g;
  pattern.lastIndex = from;
  for (;;) {
    const match = pattern.exec(text);
    if (match === null || match.index >= limit) return -1;
    if (match[0].length === ticks) return match.index + ticks;
  }
}

// Parses `{{< name args >}}`, `{{% /name %}}`, `{{< name />}}`, or Hugo's literal form
// `{{</* name */>}}`, which pages use to show a shortcode without running it.
function parseShortcode(text: string, start: number): { end: number; token: Token } | null {
  const delimiter = text[start + 2]!;
  const closer = delimiter === '<' ? '>}}' : '%}}';
  let i = start + 3;
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  skip();
  let literal = false;
  if (text.startsWith('/*', i)) {
    literal = true;
    i += 2;
    skip();
  }
  let closing = false;
  if (text[i] === '/') {
    closing = true;
    i++;
    skip();
  }
  const nameMatch = /^[A-Za-z0-9_./-]+/.exec(text.slice(i, i + 200));
  if (nameMatch === null) return null;
  const name = nameMatch[0];
  i += name.length;
  const attrs: Attributes = { positional: [], named: {} };
  let selfClosing = false;
  const limit = Math.min(text.length, start + 4000);
  for (;;) {
    skip();
    if (i >= limit) return null;
    if (literal && text.startsWith('*/', i)) {
      i += 2;
      skip();
    }
    if (text.startsWith(`/${closer}`, i)) {
      selfClosing = true;
      i += 1 + closer.length;
      break;
    }
    if (text.startsWith(closer, i)) {
      i += closer.length;
      break;
    }
    const key = /^([A-Za-z_][\w-]*)=/.exec(text.slice(i, i + 100));
    if (key !== null) i += key[0].length;
    const value = readArgument(text, i, closer);
    if (value === null) return null;
    i = value.end;
    if (key !== null) attrs.named[key[1]!] = value.value;
    else attrs.positional.push(value.value);
  }
  const raw = text.slice(start, i);
  if (literal) {
    const shown = raw
      .replace(/^\{\{([<%])\/\*\s*/, '{{$1 ')
      .replace(/\s*\*\/\s*([>%])\}\}$/, ' $1}}');
    return { end: i, token: { kind: 'text', text: shown } };
  }
  const kind = closing ? 'close' : selfClosing ? 'single' : 'open';
  return { end: i, token: { kind, family: 'shortcode', name, attrs, raw } };
}

function readArgument(
  text: string,
  start: number,
  closer: string,
): { value: string; end: number } | null {
  const quote = text[start];
  if (quote === '"') {
    let value = '';
    for (let i = start + 1; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\\' && i + 1 < text.length) {
        value += text[++i];
      } else if (ch === '"') {
        return { value, end: i + 1 };
      } else {
        value += ch;
      }
    }
    return null;
  }
  if (quote === '`') {
    const end = text.indexOf('`', start + 1);
    return end === -1 ? null : { value: text.slice(start + 1, end), end: end + 1 };
  }
  let i = start;
  while (
    i < text.length &&
    !/\s/.test(text[i]!) &&
    !text.startsWith(closer, i) &&
    !text.startsWith(`/${closer}`, i)
  ) {
    i++;
  }
  return i === start ? null : { value: text.slice(start, i), end: i };
}

/** `:::note Title`, `:::tip[Title]`, `::::info` or a closing `:::`. */
function parseDirective(line: string): Token | null {
  const match =
    /^[ \t]*(:{3,})([A-Za-z][\w-]*)?(?:\[([^\]\n]*)\])?(?:\{[^}\n]*\})?[ \t]*(.*?)[ \t]*$/.exec(
      line,
    );
  if (match === null) return null;
  const colons = match[1]!.length;
  const name = match[2];
  if (name === undefined) {
    if (match[3] !== undefined || match[4] !== '') return null;
    return {
      kind: 'close',
      family: 'directive',
      name: '',
      attrs: { positional: [], named: {} },
      raw: line,
      colons,
    };
  }
  const label = (match[3] ?? match[4] ?? '').trim();
  return {
    kind: 'open',
    family: 'directive',
    name: name.toLowerCase(),
    attrs: { positional: [], named: {} },
    raw: line,
    colons,
    ...(label === '' ? {} : { label }),
  };
}

/** `<Name attr="x" flag other={expr}>`, `</Name>` or `<Name … />`: capitalised JSX components only. */
function parseJsxTag(text: string, start: number): { end: number; token: Token } | null {
  const closing = text[start + 1] === '/';
  let i = start + (closing ? 2 : 1);
  const nameMatch = /^[A-Z][\w.]*/.exec(text.slice(i, i + 100));
  if (nameMatch === null) return null;
  const name = nameMatch[0];
  i += name.length;
  const attrs: Attributes = { positional: [], named: {} };
  const limit = Math.min(text.length, start + 4000);
  for (;;) {
    while (i < limit && /\s/.test(text[i]!)) i++;
    if (i >= limit) return null;
    if (text[i] === '>') {
      i++;
      return {
        end: i,
        token: {
          kind: closing ? 'close' : 'open',
          family: 'jsx',
          name,
          attrs,
          raw: text.slice(start, i),
        },
      };
    }
    if (text.startsWith('/>', i)) {
      i += 2;
      return {
        end: i,
        token: { kind: 'single', family: 'jsx', name, attrs, raw: text.slice(start, i) },
      };
    }
    if (text[i] === '{') {
      const end = balancedEnd(text, i, limit);
      if (end === -1) return null;
      i = end;
      continue;
    }
    const attr = /^([A-Za-z_:][\w:.-]*)/.exec(text.slice(i, i + 100));
    if (attr === null) return null;
    i += attr[0].length;
    if (text[i] !== '=') {
      attrs.named[attr[1]!] = 'true';
      continue;
    }
    i++;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      const end = text.indexOf(quote, i + 1);
      if (end === -1 || end > limit) return null;
      attrs.named[attr[1]!] = text.slice(i + 1, end);
      i = end + 1;
    } else if (quote === '{') {
      const end = balancedEnd(text, i, limit);
      if (end === -1) return null;
      const expression = text.slice(i + 1, end - 1).trim();
      const literal = /^(["'`])(.*)\1$/s.exec(expression);
      attrs.named[attr[1]!] = literal === null ? expression : literal[2]!;
      i = end;
    } else {
      return null;
    }
  }
}

function balancedEnd(text: string, start: number, limit: number): number {
  let depth = 0;
  for (let i = start; i < limit; i++) {
    const ch = text[i];
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      const end = text.indexOf(ch, i + 1);
      if (end === -1) return -1;
      i = end;
    }
  }
  return -1;
}

/** End of an MDX `import`/`export` statement: brackets balanced, at the end of a line. */
function statementEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const lineEnd = text.indexOf('\n', i);
    const end = lineEnd === -1 ? text.length : lineEnd;
    const line = text.slice(i, end);
    for (const ch of line.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '')) {
      if (ch === '{' || ch === '(' || ch === '[') depth++;
      else if (ch === '}' || ch === ')' || ch === ']') depth--;
    }
    i = lineEnd === -1 ? text.length : lineEnd + 1;
    if (depth <= 0) break;
  }
  return i;
}

// ---------------------------------------------------------------------------------------------
// Tree: paired shortcodes, directives and JSX components become blocks.

interface Block {
  kind: 'block';
  open: TagToken;
  children: Node[];
}

type Node = Token | Block;

function buildTree(tokens: Token[]): Node[] {
  const root: Node[] = [];
  const stack: { open: TagToken | null; children: Node[] }[] = [{ open: null, children: root }];
  const top = (): Node[] => stack[stack.length - 1]!.children;
  const unwind = (): void => {
    // An opener that never closes is a standalone tag; what followed it belongs to its parent.
    const frame = stack.pop()!;
    top().push({ ...frame.open!, kind: 'single' }, ...frame.children);
  };
  for (const token of tokens) {
    if (token.kind === 'open') {
      stack.push({ open: token, children: [] });
    } else if (token.kind === 'close') {
      let index = -1;
      for (let i = stack.length - 1; i > 0; i--) {
        const open = stack[i]!.open!;
        if (open.family !== token.family) continue;
        if (
          token.family === 'directive' ? open.colons === token.colons : open.name === token.name
        ) {
          index = i;
          break;
        }
      }
      if (index === -1 && token.family === 'directive') {
        for (let i = stack.length - 1; i > 0; i--) {
          if (stack[i]!.open!.family === 'directive') {
            index = i;
            break;
          }
        }
      }
      if (index === -1) continue;
      while (stack.length - 1 > index) unwind();
      const frame = stack.pop()!;
      top().push({ kind: 'block', open: frame.open!, children: frame.children });
    } else {
      top().push(token);
    }
  }
  while (stack.length > 1) unwind();
  return root;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const ADMONITION_SHORTCODES = new Set([
  'alert',
  'callout',
  'notice',
  'note',
  'warning',
  'tip',
  'info',
  'caution',
  'pageinfo',
]);
const TITLED_SHORTCODES = new Set(['note', 'warning', 'tip', 'info', 'caution']);
const ADMONITION_COMPONENTS = new Set([
  'Admonition',
  'Callout',
  'Note',
  'Warning',
  'Tip',
  'Info',
  'Caution',
  'Danger',
]);

class Renderer {
  /** Inline code spans, kept out of the final link pass by placeholders. */
  readonly codeSpans: string[] = [];

  constructor(
    private readonly url: string | undefined,
    private readonly params: Record<string, string>,
  ) {}

  render(nodes: Node[]): string {
    let out = '';
    for (const node of nodes) {
      const piece = this.node(node);
      if (node.kind === 'block' && piece.includes('\n')) {
        const lineStart = out.lastIndexOf('\n') + 1;
        const indent = out.slice(lineStart);
        if (indent !== '' && /^[ \t]+$/.test(indent)) {
          // A block shortcode on an indented line sits inside a list item: keep its output there.
          const body = piece.replace(/^\n+|\n+$/g, '');
          const indented = body
            .split('\n')
            .map((line) => (line === '' ? '' : indent + line))
            .join('\n');
          out = `${out.slice(0, lineStart)}\n${indented}\n\n`;
          continue;
        }
      }
      out += piece;
    }
    return out;
  }

  private node(node: Node): string {
    switch (node.kind) {
      case 'text':
        return node.text;
      case 'code':
        if (!node.inline) return node.text;
        this.codeSpans.push(node.text);
        return `\uE000${this.codeSpans.length - 1}\uE001`;
      case 'comment':
        return '';
      case 'single':
        return this.single(node);
      case 'open':
      case 'close':
        return '';
      case 'block':
        return this.block(node);
    }
  }

  private single(token: TagToken): string {
    if (token.family !== 'shortcode') return '';
    const { positional, named } = token.attrs;
    switch (token.name) {
      case 'ref':
      case 'relref': {
        const target = positional[0] ?? named.path ?? named.page;
        return target === undefined ? '' : this.refUrl(target);
      }
      case 'param': {
        const value = this.param(positional[0] ?? named.name);
        return value ?? token.raw;
      }
      case 'psubstr': {
        const value = this.param(positional[0]);
        if (value === undefined) return token.raw;
        const from = Number.parseInt(positional[1] ?? '0', 10);
        const length = positional[2] === undefined ? undefined : Number.parseInt(positional[2], 10);
        const begin = Number.isFinite(from) ? from : 0;
        return value.slice(
          begin,
          length === undefined || !Number.isFinite(length) ? undefined : begin + length,
        );
      }
      case 'figure': {
        const src = named.src;
        if (src === undefined) return '';
        const alt = named.alt ?? named.caption ?? named.title ?? '';
        const image = `![${alt.replace(/[[\]]/g, '\\$&')}](${linkDestination(this.resolve(src))})`;
        const caption = named.caption ?? named.title;
        return caption !== undefined && caption !== alt ? `${image}\n\n${caption}` : image;
      }
      case 'youtube': {
        const id = positional[0] ?? named.id;
        return id === undefined
          ? ''
          : `[YouTube video ${id}](https://www.youtube.com/watch?v=${encodeURIComponent(id)})`;
      }
      case 'gist': {
        const [user, id] = positional;
        return user === undefined || id === undefined
          ? ''
          : `[Gist ${user}/${id}](https://gist.github.com/${user}/${id})`;
      }
      default:
        return '';
    }
  }

  private block(block: Block): string {
    const open = block.open;
    const { positional, named } = open.attrs;
    if (open.family === 'shortcode') {
      const name = open.name;
      if (ADMONITION_SHORTCODES.has(name)) {
        const title = named.title ?? (TITLED_SHORTCODES.has(name) ? capitalise(name) : null);
        return admonition(title, this.render(block.children));
      }
      switch (name) {
        case 'highlight':
        case 'code':
          return `\n\n${fencedCode(codeOf(block.children), cleanLanguage(positional[0] ?? named.lang))}\n\n`;
        case 'tab': {
          const header = named.header ?? named.title ?? positional[0];
          const language = named.lang ?? named.language;
          const body =
            language === undefined
              ? dedent(this.render(block.children))
              : fencedCode(codeOf(block.children), cleanLanguage(language));
          return `\n\n${header === undefined ? '' : `**${header}**\n\n`}${body}\n\n`;
        }
        case 'details': {
          const summary = named.summary ?? named.title ?? positional[0];
          return `\n\n${summary === undefined ? '' : `**${summary}**\n\n`}${dedent(this.render(block.children))}\n\n`;
        }
        case 'comment':
          return '';
        default:
          return this.render(block.children);
      }
    }
    if (open.family === 'directive') {
      const title = open.label ?? capitalise(open.name);
      return admonition(title, this.render(block.children));
    }
    // JSX components.
    if (ADMONITION_COMPONENTS.has(open.name)) {
      const type =
        named.type ?? (open.name === 'Admonition' || open.name === 'Callout' ? 'note' : open.name);
      return admonition(named.title ?? capitalise(type), this.render(block.children));
    }
    if (open.name === 'TabItem' || open.name === 'Tab') {
      const label = named.label ?? named.title ?? named.value;
      return `\n\n${label === undefined ? '' : `**${label}**\n\n`}${dedent(this.render(block.children))}\n\n`;
    }
    return `\n\n${dedent(this.render(block.children))}\n\n`;
  }

  private param(name: string | undefined): string | undefined {
    return name === undefined ? undefined : this.params[name.toLowerCase()];
  }

  /**
   * Where Hugo's `ref`/`relref` points: a path relative to the page's content directory, or
   * to the content root when it starts with `/`; pretty URLs end in `/`.
   */
  private refUrl(target: string): string {
    const hash = target.indexOf('#');
    const anchor = hash === -1 ? '' : target.slice(hash);
    let path = (hash === -1 ? target : target.slice(0, hash)).trim();
    const fileUrl = this.url !== undefined && /\.(?:md|mdx|markdown)(?:[?#]|$)/i.test(this.url);
    if (!fileUrl) {
      path = path.replace(/\.(?:md|mdx|markdown|html)$/i, '').replace(/(^|\/)_?index$/, '$1');
      if (path !== '' && !path.endsWith('/')) path += '/';
    } else if (path !== '' && !/\.(?:md|mdx|markdown)$/i.test(path)) {
      path += '.md';
    }
    const relative = path + anchor;
    if (this.url === undefined) return relative;
    try {
      const page = new URL(this.url);
      if (path.startsWith('/')) return new URL(relative, page.origin).href;
      if (path === '') return new URL(anchor, page).href;
      // A pretty URL (/docs/v3.6/install/) lives in its parent's content directory.
      const directory =
        page.pathname.endsWith('/') && !fileUrl ? new URL('../', page) : new URL('./', page);
      return new URL(relative, directory).href;
    } catch {
      return relative;
    }
  }

  private resolve(href: string): string {
    if (this.url === undefined) return href;
    try {
      return resolveSourceLink(href, this.url);
    } catch {
      return href;
    }
  }
}

/** The literal text of nodes, shortcodes and comments included: the inside of a code shortcode. */
function codeOf(nodes: Node[]): string {
  let out = '';
  const visit = (list: Node[]): void => {
    for (const node of list) {
      if (node.kind === 'block') {
        out += node.open.raw;
        visit(node.children);
      } else if (node.kind === 'text' || node.kind === 'code' || node.kind === 'comment') {
        out += node.text;
      } else {
        out += node.raw;
      }
    }
  };
  visit(nodes);
  return out.replace(/^[ \t]*\n/, '').replace(/\n[ \t]*$/, '');
}

function cleanLanguage(language: string | undefined): string | null {
  if (language === undefined) return null;
  const clean = language
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_+#.-]/g, '');
  return clean === '' || clean === 'none' ? null : clean;
}

function capitalise(word: string): string {
  return word === '' ? word : word[0]!.toUpperCase() + word.slice(1);
}

/** Removes the indentation common to all non-blank lines, and blank lines at both ends. */
function dedent(text: string): string {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  let indent = Number.POSITIVE_INFINITY;
  for (const line of lines) {
    if (line.trim() === '') continue;
    indent = Math.min(indent, /^ */.exec(line)![0].length);
  }
  if (!Number.isFinite(indent) || indent === 0) return lines.join('\n');
  return lines.map((line) => line.slice(Math.min(indent, /^ */.exec(line)![0].length))).join('\n');
}

const NOT_PARAGRAPH = /^(?:#{1,6}\s|>|[-*+]\s|\d{1,9}[.)]\s|`{3,}|~{3,}|\||<|\uE000|!\[)/;

/** A blockquote led by `**Title:**`, the way every format's admonitions are written here. */
function admonition(title: string | null, inner: string): string {
  const body = dedent(inner);
  const cleanTitle = title === null ? null : title.replace(/[:\s]+$/, '').trim();
  if (body === '' && (cleanTitle === null || cleanTitle === '')) return '';
  let text = body;
  if (cleanTitle !== null && cleanTitle !== '') {
    const label = /[.?!]$/.test(cleanTitle) ? `**${cleanTitle}**` : `**${cleanTitle}:**`;
    text =
      body === '' ? label : NOT_PARAGRAPH.test(body) ? `${label}\n\n${body}` : `${label} ${body}`;
  }
  return `\n\n${prefixLines(text, '> ')}\n\n`;
}

// ---------------------------------------------------------------------------------------------
// Final pass: links, heading ids, icons, blank lines; code untouched.

const INLINE_LINK =
  /(!?\[(?:[^[\]\\]|\\.|\[(?:[^[\]\\]|\\.)*\])*\])\((\s*)(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)((?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?\s*)\)/g;
const REFERENCE_DEFINITION = /^( {0,3}(?:>[ \t]?)*[ \t]*\[[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)/gm;
const AUTOLINK = /<(https?:\/\/[^\s<>]+)>/g;
const HTML_URL_ATTRIBUTE = /(<(?:a|img|source)\b[^>]*?\s(?:href|src)\s*=\s*)(["'])([^"'\n]*)\2/gi;
const HEADING_ID = /^((?:[ \t]*>)*[ \t]*#{1,6}[ \t].*?)[ \t]*\{#[\w.:-]+\}[ \t]*$/gm;
const ICON_ELEMENT = /<i\s+class="[^"]*\bfa[a-z-]*\b[^"]*"[^>]*>\s*<\/i>[ \t]?/g;

function finalise(
  rendered: string,
  codeSpans: string[],
  url: string | undefined,
): { markdown: string; links: string[] } {
  const links = new Set<string>();
  const resolve = (target: string, record = true): string => {
    const bracketed = target.startsWith('<') && target.endsWith('>');
    const raw = bracketed ? target.slice(1, -1) : target;
    // A target built from a shortcode left in place (an unknown `param`) is no URL yet.
    if (raw.includes('{{')) return target;
    let resolved = raw;
    if (url !== undefined) {
      try {
        resolved = resolveSourceLink(raw, url);
      } catch {
        resolved = raw;
      }
    }
    if (record) collect(resolved, links);
    return resolved === raw ? target : linkDestination(resolved);
  };
  const lines = rendered.split('\n');
  const out: string[] = [];
  let textLines: string[] = [];
  const flushText = (): void => {
    if (textLines.length === 0) return;
    let text = textLines.join('\n');
    textLines = [];
    text = text
      .replace(ICON_ELEMENT, '')
      .replace(HEADING_ID, '$1')
      .replace(
        INLINE_LINK,
        // Images are resolved too, but they are no pages to crawl.
        (_all, label: string, space: string, target: string, rest: string) =>
          `${label}(${space}${resolve(target, !label.startsWith('!'))}${rest})`,
      )
      .replace(
        REFERENCE_DEFINITION,
        (_all, lead: string, target: string) => `${lead}${resolve(target)}`,
      )
      .replace(AUTOLINK, (all, target: string) => {
        collect(target, links);
        return all;
      })
      .replace(
        HTML_URL_ATTRIBUTE,
        (_all, lead: string, quote: string, target: string) =>
          `${lead}${quote}${resolve(target, /^<a\b/i.test(lead))}${quote}`,
      );
    for (const line of text.split('\n')) out.push(line.replace(/[ \t]+$/, ''));
  };
  let fence: string | null = null;
  for (const line of lines) {
    const match = FENCE_OPEN.exec(line);
    if (fence === null) {
      if (match !== null && !(match[2]!.startsWith('`') && match[3]!.includes('`'))) {
        flushText();
        fence = match[2]!;
        out.push(line);
      } else {
        textLines.push(line);
      }
    } else {
      out.push(line);
      if (
        match !== null &&
        match[2]![0] === fence[0] &&
        match[2]!.length >= fence.length &&
        match[3]!.trim() === ''
      ) {
        fence = null;
      }
    }
  }
  flushText();
  // Blank lines: at most one in a row outside fences.
  const compact: string[] = [];
  fence = null;
  let blank = 0;
  for (const line of out) {
    const match = FENCE_OPEN.exec(line);
    if (fence !== null) {
      compact.push(line);
      if (
        match !== null &&
        match[2]![0] === fence[0] &&
        match[2]!.length >= fence.length &&
        match[3]!.trim() === ''
      ) {
        fence = null;
      }
      continue;
    }
    if (match !== null && !(match[2]!.startsWith('`') && match[3]!.includes('`')))
      fence = match[2]!;
    if (line.trim() === '' && !line.includes('\uE000')) {
      blank++;
      if (blank > 1 || compact.length === 0) continue;
      compact.push('');
      continue;
    }
    blank = 0;
    compact.push(line);
  }
  while (compact.length > 0 && compact[compact.length - 1] === '') compact.pop();
  const joined = compact
    .join('\n')
    .replace(/\uE000(\d+)\uE001/g, (_all, index: string) => codeSpans[Number(index)] ?? '');
  return { markdown: joined === '' ? '' : `${joined}\n`, links: [...links] };
}

function collect(target: string, links: Set<string>): void {
  if (!/^https?:\/\//i.test(target)) return;
  try {
    const url = new URL(target);
    url.hash = '';
    links.add(url.href);
  } catch {
    // Not a URL after all: nothing to crawl.
  }
}

/** The first level-1 heading (ATX or setext) outside code, as plain text. */
function firstHeading(markdown: string): string {
  let fence: string | null = null;
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const match = FENCE_OPEN.exec(line);
    if (fence !== null) {
      if (match !== null && match[2]![0] === fence[0] && match[3]!.trim() === '') fence = null;
      continue;
    }
    if (match !== null) {
      fence = match[2]!;
      continue;
    }
    const atx = /^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (atx !== null) return plainInline(atx[1]!);
    const next = lines[i + 1];
    if (next !== undefined && /^ {0,3}=+[ \t]*$/.test(next) && line.trim() !== '')
      return plainInline(line.trim());
  }
  return '';
}

/** Markdown inline text without its markup: links to their text, emphasis and code marks dropped. */
function plainInline(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/(\*\*|__|\*|_|`+)(.+?)\1/g, '$2')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
