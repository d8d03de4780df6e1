import { load } from 'cheerio';

/**
 * The part of a domhandler node that the converter reads. Walking these plain objects instead
 * of going through cheerio's jQuery-like wrappers is what keeps conversion fast: one parse, then
 * property reads only.
 */
export interface DomNode {
  /** `tag`, `script`, `style`, `text`, `comment`, `directive`, `cdata` or `root`. */
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: DomNode[];
  data?: string;
  parent: DomNode | null;
}

/** An element node: a tag with its name, attributes and children. */
export interface DomElement extends DomNode {
  name: string;
  attribs: Record<string, string>;
  children: DomNode[];
}

/**
 * Parses HTML into a domhandler tree. htmlparser2 (cheerio's `xml: { xmlMode: false }` route)
 * is used rather than parse5: it is two to three times faster here and still closes implied
 * tags (`<p>`, `<li>`, `<td>`) the way browsers do, which is what malformed docs pages need.
 */
export function parseHtml(html: string): DomNode {
  // HTML's input stream preprocessing turns CR and CRLF into LF; htmlparser2 does not.
  const source = html.includes('\r') ? html.replace(/\r\n?/g, '\n') : html;
  const $ = load(source, { xml: { xmlMode: false, decodeEntities: true } });
  return $.root()[0] as unknown as DomNode;
}

/** Narrows a node to an element (script and style elements have their own node types). */
export function isElement(node: DomNode): node is DomElement {
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

/** Splits a class attribute into its tokens. */
export function classTokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

const NO_TEXT_TAGS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'meta',
  'link',
  'head',
  'iframe',
  'object',
]);

/**
 * The visible text of a subtree with whitespace collapsed: script, style, SVG and elements that
 * are hidden or marked `aria-hidden` do not count. `skip` lets a caller drop more (the
 * converter passes its chrome test so that heading permalinks stay out of titles).
 */
export function textOf(node: DomNode, skip?: (element: DomElement) => boolean): string {
  const parts: string[] = [];
  const stack: DomNode[] = [];
  const children = node.children;
  if (children !== undefined)
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current.type === 'text') {
      parts.push(current.data ?? '');
      continue;
    }
    if (!isElement(current)) continue;
    if (NO_TEXT_TAGS.has(current.name)) continue;
    const attribs = current.attribs;
    if (attribs.hidden !== undefined || attribs['aria-hidden'] === 'true') continue;
    if (skip?.(current)) continue;
    if (current.name === 'br') {
      parts.push(' ');
      continue;
    }
    const kids = current.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return collapseWhitespace(parts.join(''));
}

/** Collapses runs of whitespace (including no-break spaces) to one space and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u00a0]+/g, ' ').trim();
}

/** The first element child with the given tag name, if any. */
export function firstChildElement(node: DomNode, name: string): DomElement | undefined {
  const children = node.children;
  if (children === undefined) return undefined;
  for (const child of children) {
    if (isElement(child) && child.name === name) return child;
  }
  return undefined;
}

/** Whether any descendant element satisfies the test (depth-first, iterative). */
export function hasDescendant(node: DomNode, test: (element: DomElement) => boolean): boolean {
  const stack: DomNode[] = [...(node.children ?? [])];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (!isElement(current)) continue;
    if (test(current)) return true;
    for (const child of current.children) stack.push(child);
  }
  return false;
}
