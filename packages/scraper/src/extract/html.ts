import { ScraperError } from '../errors.js';
import { admonitionOf, ChromeFilter, isBreadcrumbContainer } from './html-chrome.js';
import {
  classTokens,
  collapseWhitespace,
  type DomElement,
  type DomNode,
  hasDescendant,
  isElement,
  parseHtml,
  textOf,
} from './html-dom.js';
import {
  escapeInline,
  escapeLineStart,
  fencedCode,
  inlineCode,
  linkDestination,
  normaliseMarkdown,
  prefixLines,
} from './markdown-syntax.js';

/** What {@link htmlToMarkdown} makes of one HTML page. */
export interface HtmlExtraction {
  /** The content's first `<h1>`, else `<title>` without its site suffix, else `og:title`. */
  title: string;
  /** The main content as markdown, page chrome removed; ends with a newline unless empty. */
  markdown: string;
  /** Texts of the page's breadcrumb trail, in order (empty when it has none). */
  breadcrumbs: string[];
  /** `<link rel=canonical>` resolved to an absolute URL, or `null`. */
  canonicalUrl: string | null;
  /** Every `http(s)` link of the whole page (navigation included), absolute, without fragment, deduplicated, in page order. */
  links: string[];
  /** `<html lang>`, or `null`. */
  language: string | null;
  /** `<meta name=description>`, else `og:description`, or `null`. */
  description: string | null;
  /** From `<meta name=robots>`; `none` sets both. */
  robots: { noindex: boolean; nofollow: boolean };
}

/** Options of {@link htmlToMarkdown}. */
export interface HtmlToMarkdownOptions {
  /** The page's URL: relative links, images and `rel=canonical` are resolved against it (and `<base href>`). */
  url: string;
}

/**
 * Converts an HTML page to clean markdown: finds the main content (`<main>`, `<article>`,
 * Docsy/MkDocs/Docusaurus/Sphinx content containers, else `<body>`), drops navigation, banners,
 * TOCs, edit links, feedback widgets and hidden elements, and writes headings, lists, tables
 * (GFM), code blocks (with their language, line numbers removed) and admonitions (as
 * blockquotes). Page metadata comes along: title, canonical URL, breadcrumbs, language,
 * description, robots directives, and all links for crawling.
 *
 * The document is parsed once; conversion is a walk over the parsed tree.
 *
 * @throws {ScraperError} `invalid-options` when `url` is not an absolute URL.
 */
export function htmlToMarkdown(html: string, options: HtmlToMarkdownOptions): HtmlExtraction {
  let pageUrl: URL;
  try {
    pageUrl = new URL(options.url);
  } catch (cause) {
    throw new ScraperError(
      'invalid-options',
      `Cannot convert HTML: page URL ${JSON.stringify(options.url)} is not an absolute URL; pass the URL the page was fetched from.`,
      { cause },
    );
  }
  const document = parseHtml(html);
  const facts = scanDocument(document);
  const base = resolveBase(pageUrl, facts.baseHref);
  const chrome = new ChromeFilter();

  let writer = new MarkdownWriter(base, chrome);
  let markdown = writer.render(facts.contentRoot);
  if (
    writer.firstH1 === null &&
    facts.contentRoot !== facts.main &&
    facts.main !== null &&
    facts.mainHasH1
  ) {
    // An `<article>` inside `<main>` whose title sits above it: take the whole of `<main>`.
    const wider = new MarkdownWriter(base, chrome);
    const widerMarkdown = wider.render(facts.main);
    if (wider.firstH1 !== null) {
      writer = wider;
      markdown = widerMarkdown;
    }
  }
  if (markdown === '' && facts.contentRoot !== facts.fallbackRoot) {
    // A content container that renders empty (a client-side app shell): use the whole body.
    writer = new MarkdownWriter(base, chrome);
    markdown = writer.render(facts.fallbackRoot);
  }

  const siteName = facts.siteName;
  const title =
    writer.firstH1 ??
    (facts.title !== null && facts.title !== '' ? stripSiteSuffix(facts.title, siteName) : null) ??
    facts.ogTitle ??
    '';

  return {
    title,
    markdown,
    breadcrumbs: facts.breadcrumbs ?? [],
    canonicalUrl: facts.canonicalHref === null ? null : resolveOrNull(facts.canonicalHref, base),
    links: collectLinks(facts.hrefs, base),
    language: facts.language,
    description: facts.description ?? facts.ogDescription,
    robots: facts.robots,
  };
}

// ---------------------------------------------------------------------------------------------
// Pass 1: page facts and the content root.

interface PageFacts {
  language: string | null;
  baseHref: string | null;
  title: string | null;
  ogTitle: string | null;
  siteName: string | null;
  description: string | null;
  ogDescription: string | null;
  robots: { noindex: boolean; nofollow: boolean };
  canonicalHref: string | null;
  hrefs: string[];
  breadcrumbs: string[] | null;
  contentRoot: DomNode;
  fallbackRoot: DomNode;
  main: DomElement | null;
  mainHasH1: boolean;
}

/** Class names of the element that holds exactly the page's text in common docs generators. */
const CONTENT_CLASSES = new Set([
  'td-content',
  'md-content',
  'theme-doc-markdown',
  'markdown-body',
  'rst-content',
  'docs-content',
  'doc-content',
  'documentation-content',
  'article-body',
  'post-content',
  'entry-content',
]);

const CONTENT_IDS = new Set(['content', 'main-content', 'main']);

const IN_SVG = 1;
const IN_ARTICLE = 2;

function scanDocument(document: DomNode): PageFacts {
  let language: string | null = null;
  let baseHref: string | null = null;
  let title: string | null = null;
  let ogTitle: string | null = null;
  let siteName: string | null = null;
  let description: string | null = null;
  let ogDescription: string | null = null;
  let canonicalHref: string | null = null;
  let breadcrumbs: string[] | null = null;
  const robots = { noindex: false, nofollow: false };
  const hrefs: string[] = [];
  let contentElement: DomElement | null = null;
  let firstArticle: DomElement | null = null;
  let topArticles = 0;
  let main: DomElement | null = null;
  let roleMain: DomElement | null = null;
  let contentById: DomElement | null = null;
  let body: DomElement | null = null;
  const contentClassVerdicts = new Map<string, boolean>();

  const nodes: DomNode[] = [document];
  const flags: number[] = [0];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    let flag = flags.pop()!;
    if (!isElement(node)) {
      if (node.type === 'root') {
        pushChildren(node, flag, nodes, flags);
      }
      continue;
    }
    const attribs = node.attribs;
    switch (node.name) {
      case 'html':
        language ??= nonEmpty(attribs.lang ?? attribs['xml:lang']);
        break;
      case 'base':
        if (baseHref === null && attribs.href !== undefined) baseHref = attribs.href;
        break;
      case 'title':
        if ((flag & IN_SVG) === 0 && title === null) title = textOf(node);
        continue;
      case 'meta': {
        const name = (attribs.name ?? attribs.property ?? '').toLowerCase();
        const content = attribs.content;
        if (content === undefined) break;
        if (name === 'description') description ??= nonEmpty(collapseWhitespace(content));
        else if (name === 'og:description') ogDescription ??= nonEmpty(collapseWhitespace(content));
        else if (name === 'og:title') ogTitle ??= nonEmpty(collapseWhitespace(content));
        else if (name === 'og:site_name' || name === 'application-name') {
          siteName ??= nonEmpty(collapseWhitespace(content));
        } else if (name === 'robots') {
          for (const directive of content.toLowerCase().split(/[\s,]+/)) {
            if (directive === 'noindex' || directive === 'none') robots.noindex = true;
            if (directive === 'nofollow' || directive === 'none') robots.nofollow = true;
          }
        }
        break;
      }
      case 'link':
        if (
          canonicalHref === null &&
          attribs.href !== undefined &&
          classTokens(attribs.rel).some((rel) => rel.toLowerCase() === 'canonical')
        ) {
          canonicalHref = attribs.href;
        }
        break;
      case 'a':
      case 'area':
        if (attribs.href !== undefined) hrefs.push(attribs.href);
        break;
      case 'svg':
        flag |= IN_SVG;
        break;
      case 'article':
        if ((flag & IN_ARTICLE) === 0) {
          topArticles++;
          firstArticle ??= node;
        }
        flag |= IN_ARTICLE;
        break;
      case 'main':
        main ??= node;
        break;
      case 'body':
        body ??= node;
        break;
      default:
        break;
    }
    if (attribs.role === 'main') roleMain ??= node;
    if (contentElement === null) {
      const cls = attribs.class;
      if (cls !== undefined) {
        let verdict = contentClassVerdicts.get(cls);
        if (verdict === undefined) {
          verdict = classTokens(cls).some((token) => CONTENT_CLASSES.has(token));
          contentClassVerdicts.set(cls, verdict);
        }
        if (verdict) contentElement = node;
      }
      if (attribs.itemprop === 'articleBody') contentElement ??= node;
    }
    if (contentById === null && attribs.id !== undefined && CONTENT_IDS.has(attribs.id)) {
      contentById = node;
    }
    if (breadcrumbs === null && isBreadcrumbContainer(node)) {
      breadcrumbs = breadcrumbItems(node);
    }
    pushChildren(node, flag, nodes, flags);
  }

  const fallbackRoot: DomNode = body ?? document;
  const contentRoot =
    contentElement ??
    (topArticles === 1 ? firstArticle : null) ??
    main ??
    roleMain ??
    contentById ??
    fallbackRoot;
  const mainElement = main ?? roleMain;
  return {
    language,
    baseHref,
    title: title === null ? null : collapseWhitespace(title),
    ogTitle,
    siteName,
    description,
    ogDescription,
    robots,
    canonicalHref,
    hrefs,
    breadcrumbs,
    contentRoot,
    fallbackRoot,
    main: mainElement,
    mainHasH1: mainElement !== null && hasDescendant(mainElement, (child) => child.name === 'h1'),
  };
}

function pushChildren(node: DomNode, flag: number, nodes: DomNode[], flags: number[]): void {
  const children = node.children;
  if (children === undefined) return;
  for (let i = children.length - 1; i >= 0; i--) {
    const child = children[i]!;
    if (child.type === 'text' || child.type === 'comment') continue;
    nodes.push(child);
    flags.push(flag);
  }
}

const BREADCRUMB_SEPARATORS = /^[\s›»>/|·•\u2192]+|[\s›»>/|·•\u2192]+$/g;

function breadcrumbItems(container: DomElement): string[] {
  const items: string[] = [];
  const stack: DomNode[] = [...container.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!isElement(node)) continue;
    if (node.name === 'li') {
      const text = textOf(node).replace(BREADCRUMB_SEPARATORS, '');
      if (text !== '') items.push(text);
      continue;
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  if (items.length > 0) return items;
  // No list: links and plain text separated by arrows or slashes.
  return textOf(container)
    .split(/\s*[›»>/|\u2192]\s*/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function nonEmpty(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function resolveBase(pageUrl: URL, baseHref: string | null): string {
  if (baseHref === null) return pageUrl.href;
  return resolveOrNull(baseHref, pageUrl.href) ?? pageUrl.href;
}

function resolveOrNull(href: string, base: string): string | null {
  try {
    return new URL(href.trim(), base).href;
  } catch {
    return null;
  }
}

function collectLinks(hrefs: string[], base: string): string[] {
  const seen = new Set<string>();
  for (const href of hrefs) {
    const trimmed = href.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let url: URL;
    try {
      url = new URL(trimmed, base);
    } catch {
      continue;
    }
    // Only what a crawler can fetch: this drops javascript:, mailto:, tel:, data: and the like.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    url.hash = '';
    seen.add(url.href);
  }
  return [...seen];
}

const TITLE_SEPARATORS = [' | ', ' – ', ' — ', ' · ', ' :: ', ' » '];

/** `Quickstart | etcd` → `Quickstart`; ` - ` only splits when the suffix is the site's name. */
function stripSiteSuffix(title: string, siteName: string | null): string {
  for (const separator of TITLE_SEPARATORS) {
    const index = title.lastIndexOf(separator);
    if (index > 0) return title.slice(0, index).trim();
  }
  if (siteName !== null) {
    const suffix = ` - ${siteName}`;
    if (title.toLowerCase().endsWith(suffix.toLowerCase()) && title.length > suffix.length) {
      return title.slice(0, -suffix.length).trim();
    }
  }
  return title;
}

// ---------------------------------------------------------------------------------------------
// Pass 2: markdown.

const INLINE_TAGS = new Set([
  'a',
  'abbr',
  'acronym',
  'b',
  'bdi',
  'bdo',
  'big',
  'br',
  'cite',
  'code',
  'data',
  'del',
  'dfn',
  'em',
  'font',
  'i',
  'img',
  'input',
  'ins',
  'kbd',
  'label',
  'mark',
  'math',
  'nobr',
  'picture',
  'q',
  'rp',
  'rt',
  'ruby',
  's',
  'samp',
  'small',
  'source',
  'span',
  'strike',
  'strong',
  'sub',
  'sup',
  'time',
  'tt',
  'u',
  'var',
  'wbr',
]);

const HEADING_LEVEL: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

const LIST_BLOCK = /^(?:[-*+]|\d{1,9}[.)])(?: |$)/;
const NOT_PARAGRAPH = /^(?:#{1,6}\s|>|[-*+](?:\s|$)|\d{1,9}[.)](?:\s|$)|`{3,}|~{3,}|\||---$)/;

/** Past this nesting depth a subtree is written as plain text, so that no page can overflow the stack. */
const MAX_DEPTH = 400;

const EMPHASIS = 1;
const STRONG = 2;
const STRIKE = 4;

class MarkdownWriter {
  /** Plain text of the first `<h1>` written, the page's title. */
  firstH1: string | null = null;
  private depth = 0;
  private marks = 0;
  private inLink = false;
  private inTable = 0;
  private tabLabels: string[] = [];
  private readonly isRemoved: (element: DomElement) => boolean;

  constructor(
    private readonly base: string,
    chrome: ChromeFilter,
  ) {
    this.isRemoved = (element) => chrome.isRemoved(element);
  }

  render(root: DomNode): string {
    const blocks: string[] = [];
    const inline: string[] = [];
    this.collect(root.children ?? [], blocks, inline);
    this.flush(inline, blocks);
    return normaliseMarkdown(blocks.join('\n\n'));
  }

  /** Writes nodes in block context: finished blocks go to `blocks`, running text to `inline`. */
  private collect(nodes: DomNode[], blocks: string[], inline: string[]): void {
    for (const node of nodes) {
      if (node.type === 'text') {
        this.text(node.data ?? '', inline);
      } else if (isElement(node) && !this.isRemoved(node)) {
        if (++this.depth > MAX_DEPTH) inline.push(` ${escapeInline(textOf(node), this.inLink)} `);
        else this.blockElement(node, blocks, inline);
        this.depth--;
      }
    }
  }

  private blockElement(element: DomElement, blocks: string[], inline: string[]): void {
    const name = element.name;
    const level = HEADING_LEVEL[name];
    if (level !== undefined) {
      this.flush(inline, blocks);
      this.heading(element, level, blocks);
      return;
    }
    switch (name) {
      case 'pre':
        if (this.inTable > 0) {
          inline.push(` ${inlineCode(collapseWhitespace(codeText(element)))} `);
          return;
        }
        this.flush(inline, blocks);
        this.pushCodeBlock(element, blocks);
        return;
      case 'ul':
      case 'ol':
      case 'menu':
        if (element.attribs.role === 'tablist') {
          this.tabLabels = tabLabelsOf(element);
          return;
        }
        this.flush(inline, blocks);
        this.list(element, blocks);
        return;
      case 'dl':
        this.flush(inline, blocks);
        this.definitionList(element, blocks);
        return;
      case 'table':
        this.flush(inline, blocks);
        this.table(element, blocks);
        return;
      case 'blockquote': {
        this.flush(inline, blocks);
        const inner = this.blocksOf(element.children);
        if (inner.length > 0) blocks.push(prefixLines(inner.join('\n\n'), '> '));
        return;
      }
      case 'hr':
        this.flush(inline, blocks);
        blocks.push('---');
        return;
      case 'br':
        inline.push(this.inTable > 0 ? ' ' : '\n');
        return;
      case 'details':
        this.flush(inline, blocks);
        this.details(element, blocks);
        return;
      default:
        break;
    }
    // Inline elements wrapping blocks (`<b><ul>…</ul></b>` in broken pages, `<span><p>`) act as
    // containers so the blocks survive; a link keeps its target and reads its blocks inline.
    if (INLINE_TAGS.has(name)) {
      if (name === 'a' || !hasBlockChild(element)) this.inlineElement(element, inline);
      // No paragraph break of its own: the text before its first block runs on.
      else this.collect(element.children, blocks, inline);
      return;
    }
    // Custom elements (`<docs-tab>`) without block children read as inline text.
    if (name.includes('-') && !hasBlockChild(element)) {
      this.inlineElement(element, inline);
      return;
    }
    this.container(element, blocks, inline);
  }

  /** A block container: a paragraph boundary before and after, and its children in between. */
  private container(element: DomElement, blocks: string[], inline: string[]): void {
    const attribs = element.attribs;
    const tokens = classTokens(attribs.class);
    if (attribs.role === 'tablist' || tokens.includes('tabbed-labels')) {
      this.tabLabels = tabLabelsOf(element);
      return;
    }
    this.flush(inline, blocks);
    const admonition = admonitionOf(element);
    if (admonition !== null) {
      const children =
        admonition.titleElement === null
          ? element.children
          : element.children.filter((child) => child !== admonition.titleElement);
      const inner = this.blocksOf(children);
      if (admonition.title !== null) {
        const label = titleLabel(escapeInline(admonition.title));
        if (inner.length > 0 && !NOT_PARAGRAPH.test(inner[0]!)) inner[0] = `${label} ${inner[0]}`;
        else inner.unshift(label);
      }
      if (inner.length > 0) blocks.push(prefixLines(inner.join('\n\n'), '> '));
      return;
    }
    if (
      attribs.role === 'tabpanel' ||
      tokens.includes('tab-pane') ||
      tokens.includes('tabbed-block')
    ) {
      const label = this.tabLabels.shift();
      if (label !== undefined && label !== '') blocks.push(`**${escapeInline(label)}**`);
    }
    this.collect(element.children, blocks, inline);
    this.flush(inline, blocks);
  }

  private blocksOf(nodes: DomNode[]): string[] {
    const blocks: string[] = [];
    const inline: string[] = [];
    this.collect(nodes, blocks, inline);
    this.flush(inline, blocks);
    return blocks;
  }

  /** Ends the running paragraph: `<br>` line breaks become hard breaks, `<br><br>` a new paragraph. */
  private flush(inline: string[], blocks: string[]): void {
    if (inline.length === 0) return;
    const joined = inline.join('');
    inline.length = 0;
    if (!/\S/.test(joined)) return;
    let paragraph: string[] = [];
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/ {2,}/g, ' ').trim();
      if (line === '') {
        if (paragraph.length > 0) {
          blocks.push(paragraph.join('\\\n'));
          paragraph = [];
        }
        continue;
      }
      paragraph.push(escapeLineStart(line));
    }
    if (paragraph.length > 0) blocks.push(paragraph.join('\\\n'));
  }

  private text(data: string, out: string[]): void {
    if (data === '') return;
    const text = data.replace(/\s+/g, ' ');
    out.push(escapeInline(text, this.inLink));
  }

  private heading(element: DomElement, level: number, blocks: string[]): void {
    const inner: string[] = [];
    this.inlineChildren(element.children, inner);
    let text = inner.join('').replace(/\s+/g, ' ').trim();
    if (text === '') return;
    // A trailing ` #` would read as the closing sequence of an ATX heading.
    text = text.replace(/ (#+)$/, ' \\$1');
    if (level === 1 && this.firstH1 === null) this.firstH1 = textOf(element, this.isRemoved);
    blocks.push(`${'#'.repeat(level)} ${text}`);
  }

  private pushCodeBlock(pre: DomElement, blocks: string[]): void {
    const code = trimCode(pre, codeText(pre));
    if (code !== '') blocks.push(fencedCode(code, codeLanguage(pre)));
  }

  private list(element: DomElement, blocks: string[]): void {
    const ordered = element.name === 'ol';
    const start = ordered ? Number.parseInt(element.attribs.start ?? '1', 10) : 1;
    let number = Number.isFinite(start) ? start : 1;
    const items: { blocks: string[]; loose: boolean }[] = [];
    for (const child of element.children) {
      if (child.type === 'text') {
        const stray = collapseWhitespace(child.data ?? '');
        if (stray !== '')
          items.push({ blocks: [escapeLineStart(escapeInline(stray))], loose: false });
        continue;
      }
      if (!isElement(child) || this.isRemoved(child)) continue;
      if (child.name === 'li') {
        const hasParagraphs = child.children.some((node) => isElement(node) && node.name === 'p');
        const blocks = this.blocksOf(child.children);
        // An item of nothing but chrome (an issue link, an icon) would be a bare marker.
        if (blocks.length > 0) items.push({ blocks, loose: hasParagraphs });
      } else if ((child.name === 'ul' || child.name === 'ol') && items.length > 0) {
        // `<ul><li>a</li><ul>…</ul></ul>`: a common misnesting that means a sub-list of `a`.
        const nested: string[] = [];
        this.list(child, nested);
        items[items.length - 1]!.blocks.push(...nested);
      } else {
        items.push({ blocks: this.blocksOf([child]), loose: false });
      }
    }
    if (items.length === 0) return;
    if (this.inTable > 0) {
      // A GFM cell holds one line: a list inside it stays an HTML list, as authors write it there.
      const tag = ordered ? 'ol' : 'ul';
      const startAttribute =
        ordered && start !== 1 && Number.isFinite(start) ? ` start="${start}"` : '';
      const listItems = items.map((item) => `<li>${item.blocks.join(' ')}</li>`).join('');
      blocks.push(`<${tag}${startAttribute}>${listItems}</${tag}>`);
      return;
    }
    const rendered: string[] = [];
    let looseList = false;
    for (const item of items) {
      let text = '';
      for (let i = 0; i < item.blocks.length; i++) {
        const block = item.blocks[i]!;
        if (i > 0) {
          const tight =
            !item.loose && LIST_BLOCK.test(block) && !LIST_BLOCK.test(item.blocks[i - 1]!);
          if (!tight) looseList = true;
          text += tight ? '\n' : '\n\n';
        }
        text += block;
      }
      const marker = ordered ? `${number++}.` : '-';
      const indent = ' '.repeat(marker.length + 1);
      const lines = text.split('\n');
      const first = lines[0] === '' || lines[0] === undefined ? marker : `${marker} ${lines[0]}`;
      const rest = lines.slice(1).map((line) => (line === '' ? '' : indent + line));
      rendered.push([first, ...rest].join('\n'));
    }
    blocks.push(rendered.join(looseList ? '\n\n' : '\n'));
  }

  private definitionList(element: DomElement, blocks: string[]): void {
    const groups: string[] = [];
    let group: string[] = [];
    let lastWasDefinition = false;
    const visit = (nodes: DomNode[]): void => {
      for (const child of nodes) {
        if (!isElement(child) || this.isRemoved(child)) continue;
        if (child.name === 'dt') {
          if (lastWasDefinition && group.length > 0) {
            groups.push(group.join('\n'));
            group = [];
          }
          lastWasDefinition = false;
          const inner: string[] = [];
          const marks = this.marks;
          this.marks |= STRONG;
          this.inlineChildren(child.children, inner);
          this.marks = marks;
          const term = inner.join('').replace(/\s+/g, ' ').trim();
          if (term !== '') group.push(`**${term}**`);
        } else if (child.name === 'dd') {
          lastWasDefinition = true;
          const body = this.blocksOf(child.children).join('\n\n');
          if (body === '') continue;
          const lines = body.split('\n');
          group.push(
            [
              `: ${lines[0]}`,
              ...lines.slice(1).map((line) => (line === '' ? '' : `  ${line}`)),
            ].join('\n'),
          );
        } else if (child.name === 'div') {
          visit(child.children);
        }
      }
    };
    visit(element.children);
    if (group.length > 0) groups.push(group.join('\n'));
    if (groups.length > 0) blocks.push(groups.join('\n\n'));
  }

  private table(element: DomElement, blocks: string[]): void {
    const codePre = codeTablePre(element);
    if (codePre !== null) {
      this.pushCodeBlock(codePre, blocks);
      return;
    }
    let head: DomElement | null = null;
    const rows: DomElement[] = [];
    let caption: DomElement | null = null;
    for (const child of element.children) {
      if (!isElement(child)) continue;
      switch (child.name) {
        case 'thead':
          for (const row of child.children) {
            if (!isElement(row) || row.name !== 'tr') continue;
            if (head === null) head = row;
            else rows.push(row);
          }
          break;
        case 'tbody':
        case 'tfoot':
          for (const row of child.children) if (isElement(row) && row.name === 'tr') rows.push(row);
          break;
        case 'tr':
          rows.push(child);
          break;
        case 'caption':
          caption = child;
          break;
        default:
          break;
      }
    }
    head ??= rows.shift() ?? null;
    if (head === null) return;
    this.inTable++;
    const header = this.row(head);
    const body = rows.map((row) => this.row(row).cells);
    this.inTable--;
    const width = Math.max(header.cells.length, ...body.map((cells) => cells.length));
    if (width === 0) return;
    const line = (cells: string[]): string => {
      const padded = cells.slice();
      while (padded.length < width) padded.push('');
      return `| ${padded.join(' | ')} |`;
    };
    const delimiter: string[] = [];
    for (let i = 0; i < width; i++) {
      const align = header.aligns[i];
      delimiter.push(
        align === 'center'
          ? ':---:'
          : align === 'right'
            ? '---:'
            : align === 'left'
              ? ':---'
              : '---',
      );
    }
    if (caption !== null) {
      const text = collapseWhitespace(textOf(caption, this.isRemoved));
      if (text !== '') blocks.push(escapeLineStart(escapeInline(text)));
    }
    blocks.push([line(header.cells), `| ${delimiter.join(' | ')} |`, ...body.map(line)].join('\n'));
  }

  private row(row: DomElement): { cells: string[]; aligns: (string | null)[] } {
    const cells: string[] = [];
    const aligns: (string | null)[] = [];
    for (const cell of row.children) {
      if (!isElement(cell) || (cell.name !== 'td' && cell.name !== 'th')) continue;
      const text = this.blocksOf(cell.children)
        .join(' ')
        .replace(/\\?\n/g, ' ')
        .replace(/ {2,}/g, ' ')
        .trim()
        .replace(/\|/g, '\\|');
      cells.push(text);
      aligns.push(alignmentOf(cell));
      const span = Number.parseInt(cell.attribs.colspan ?? '1', 10);
      for (let i = 1; i < Math.min(Number.isFinite(span) ? span : 1, 100); i++) {
        cells.push('');
        aligns.push(null);
      }
    }
    return { cells, aligns };
  }

  private details(element: DomElement, blocks: string[]): void {
    const admonition = admonitionOf(element);
    if (admonition !== null) {
      this.container(element, blocks, []);
      return;
    }
    const rest: DomNode[] = [];
    for (const child of element.children) {
      if (isElement(child) && child.name === 'summary') {
        const inner: string[] = [];
        const marks = this.marks;
        this.marks |= STRONG;
        this.inlineChildren(child.children, inner);
        this.marks = marks;
        const summary = inner.join('').replace(/\s+/g, ' ').trim();
        if (summary !== '') blocks.push(`**${summary}**`);
      } else {
        rest.push(child);
      }
    }
    blocks.push(...this.blocksOf(rest));
  }

  // -- inline ----------------------------------------------------------------------------------

  private inlineChildren(nodes: DomNode[], out: string[]): void {
    for (const node of nodes) {
      if (node.type === 'text') {
        this.text(node.data ?? '', out);
      } else if (isElement(node) && !this.isRemoved(node)) {
        if (++this.depth > MAX_DEPTH) out.push(` ${escapeInline(textOf(node), this.inLink)} `);
        else this.inlineElement(node, out);
        this.depth--;
      }
    }
  }

  private inlineElement(element: DomElement, out: string[]): void {
    switch (element.name) {
      case 'br':
        out.push(this.inTable > 0 ? ' ' : '\n');
        return;
      case 'wbr':
        return;
      case 'strong':
      case 'b':
        this.emphasis(element, out, '**', STRONG);
        return;
      case 'em':
      case 'i':
      case 'cite':
      case 'dfn':
        this.emphasis(element, out, '*', EMPHASIS);
        return;
      case 'del':
      case 's':
      case 'strike':
        this.emphasis(element, out, '~~', STRIKE);
        return;
      case 'code':
      case 'kbd':
      case 'samp':
      case 'tt':
        out.push(inlineCode(textOf(element).replace(/\s+/g, ' ')));
        return;
      case 'pre':
        out.push(` ${inlineCode(collapseWhitespace(codeText(element)))} `);
        return;
      case 'a':
        this.link(element, out);
        return;
      case 'img':
        this.image(element, out);
        return;
      case 'input':
        if ((element.attribs.type ?? '').toLowerCase() === 'checkbox') {
          out.push(element.attribs.checked === undefined ? '[ ] ' : '[x] ');
        }
        return;
      case 'q':
        out.push('"');
        this.inlineChildren(element.children, out);
        out.push('"');
        return;
      case 'math': {
        const tex = texOf(element);
        out.push(tex === null ? escapeInline(textOf(element)) : `$${tex}$`);
        return;
      }
      default:
        if (INLINE_TAGS.has(element.name) || element.name.includes('-')) {
          this.inlineChildren(element.children, out);
        } else {
          // A block inside inline content (`<a><div>…</div></a>`): keep its words apart.
          out.push(' ');
          this.inlineChildren(element.children, out);
          out.push(' ');
        }
    }
  }

  private emphasis(element: DomElement, out: string[], marker: string, mark: number): void {
    if ((this.marks & mark) !== 0) {
      this.inlineChildren(element.children, out);
      return;
    }
    const inner: string[] = [];
    this.marks |= mark;
    this.inlineChildren(element.children, inner);
    this.marks &= ~mark;
    const text = inner.join('');
    const trimmed = text.trim();
    if (trimmed === '') {
      if (text !== '') out.push(' ');
      return;
    }
    const lead = /^\s/.test(text) ? ' ' : '';
    const trail = /\s$/.test(text) ? ' ' : '';
    out.push(`${lead}${marker}${trimmed}${marker}${trail}`);
  }

  private link(element: DomElement, out: string[]): void {
    const href = element.attribs.href?.trim();
    if (this.inLink || href === undefined || href === '' || /^javascript:/i.test(href)) {
      this.inlineChildren(element.children, out);
      return;
    }
    const inner: string[] = [];
    this.inLink = true;
    this.inlineChildren(element.children, inner);
    this.inLink = false;
    const raw = inner.join('');
    const text = raw.replace(/\s+/g, ' ').trim();
    if (text === '') return;
    const url = this.resolve(href);
    const lead = /^\s/.test(raw) ? ' ' : '';
    const trail = /\s$/.test(raw) ? ' ' : '';
    out.push(`${lead}[${text}](${linkDestination(url)})${trail}`);
  }

  private image(element: DomElement, out: string[]): void {
    const attribs = element.attribs;
    let src = attribs.src?.trim();
    // Lazy-loading pages put a placeholder in `src` and the real image in a data attribute.
    if (src === undefined || src === '' || src.startsWith('data:')) {
      src = (attribs['data-src'] ?? attribs['data-lazy-src'] ?? attribs['data-original'])?.trim();
    }
    if (src === undefined || src === '' || src.startsWith('data:')) return;
    const alt = escapeInline(collapseWhitespace(attribs.alt ?? ''), true);
    out.push(`![${alt}](${linkDestination(this.resolve(src))})`);
  }

  private resolve(href: string): string {
    try {
      return new URL(href, this.base).href;
    } catch {
      return href;
    }
  }
}

/** `**Note:**`; a title that already ends in punctuation (`What about DNS?`) gets no colon. */
function titleLabel(title: string): string {
  return /[.?!:]$/.test(title) ? `**${title}**` : `**${title}:**`;
}

function hasBlockChild(element: DomElement): boolean {
  for (const child of element.children) {
    if (isElement(child) && !INLINE_TAGS.has(child.name) && !SKIPPED_INLINE.has(child.name)) {
      return true;
    }
  }
  return false;
}

const SKIPPED_INLINE = new Set(['script', 'style', 'svg', 'noscript', 'template', 'button']);

function alignmentOf(cell: DomElement): string | null {
  const align = cell.attribs.align?.toLowerCase();
  if (align === 'left' || align === 'right' || align === 'center') return align;
  const style = cell.attribs.style;
  if (style === undefined) return null;
  const match = /text-align\s*:\s*(left|right|center)/i.exec(style);
  return match === null ? null : match[1]!.toLowerCase();
}

function tabLabelsOf(tablist: DomElement): string[] {
  const labels: string[] = [];
  const visit = (node: DomNode): void => {
    if (!isElement(node)) return;
    if (node.attribs.role === 'tab') {
      labels.push(textOf(node));
      return;
    }
    for (const child of node.children) visit(child);
  };
  for (const child of tablist.children) visit(child);
  if (labels.length > 0) return labels;
  // Without ARIA roles: list items (Bootstrap) or labels (MkDocs Material's tabbed sets).
  for (const child of tablist.children) {
    if (isElement(child) && (child.name === 'li' || child.name === 'label'))
      labels.push(textOf(child));
  }
  return labels;
}

function texOf(math: DomElement): string | null {
  let tex: string | null = null;
  hasDescendant(math, (child) => {
    if (child.name === 'annotation' && child.attribs.encoding === 'application/x-tex') {
      tex = textOf(child);
      return true;
    }
    return false;
  });
  return tex;
}

// -- code blocks ---------------------------------------------------------------------------------

const LINE_NUMBER_CLASSES = new Set([
  'ln',
  'lnt',
  'lineno',
  'linenos',
  'linenodiv',
  'line-number',
  'line-numbers',
  'line-numbers-rows',
  'hljs-ln-numbers',
  'hljs-ln-n',
  'codelinenumber',
  'gutter',
]);

const CODE_SKIP_TAGS = new Set(['button', 'script', 'style', 'template', 'noscript', 'svg']);

function isLineNumber(element: DomElement): boolean {
  const attribs = element.attribs;
  for (const token of classTokens(attribs.class)) {
    const lower = token.toLowerCase();
    if (
      LINE_NUMBER_CLASSES.has(lower) ||
      LINE_NUMBER_CLASSES.has(lower.replace(/_[\w-]{4,5}$/, ''))
    ) {
      return true;
    }
  }
  // Chroma with inline styles marks its line numbers only by making them unselectable.
  const style = attribs.style;
  return style !== undefined && /user-select\s*:\s*none/i.test(style);
}

/** The text of a code block exactly as shown: spans flattened, line numbers and copy buttons left out. */
function codeText(pre: DomElement): string {
  const parts: string[] = [];
  const visit = (node: DomNode, depth: number): void => {
    const children = node.children;
    if (children === undefined || depth > MAX_DEPTH) return;
    for (const child of children) {
      if (child.type === 'text') {
        parts.push(child.data ?? '');
        continue;
      }
      if (!isElement(child)) continue;
      const name = child.name;
      if (name === 'br') {
        parts.push('\n');
        continue;
      }
      if (
        CODE_SKIP_TAGS.has(name) ||
        child.attribs['aria-hidden'] === 'true' ||
        isLineNumber(child)
      ) {
        continue;
      }
      visit(child, depth + 1);
      if (name === 'tr' && !(parts[parts.length - 1] ?? '').endsWith('\n')) parts.push('\n');
    }
  };
  visit(pre, 0);
  return parts.join('');
}

/**
 * Code text as a reader sees it. Browsers drop the newline right after `<pre>`, generators end
 * the last line with one; everything between, blank lines and indentation included, is content.
 * A block of nothing but whitespace is no code at all.
 */
function trimCode(pre: DomElement, code: string): string {
  let text = code;
  if (pre.children[0]?.type === 'text' && text.startsWith('\n')) text = text.slice(1);
  if (text.endsWith('\n')) text = text.slice(0, -1);
  return /\S/.test(text) ? text : '';
}

const CODE_WRAPPERS = new Set(['div', 'td', 'tr', 'tbody', 'table', 'figure', 'span']);
const NO_LANGUAGE = new Set(['', 'none', 'nohighlight', 'default', 'undefined', 'null', 'plain']);

/** The language of a code block from `language-x`, `lang-x`, `data-lang` or a highlighter wrapper. */
function codeLanguage(pre: DomElement): string | null {
  const chain: DomElement[] = [];
  for (const child of pre.children) {
    if (isElement(child) && child.name === 'code') {
      chain.push(child);
      break;
    }
  }
  chain.push(pre);
  let parent = pre.parent;
  for (let i = 0; i < 4 && parent !== null && isElement(parent); i++) {
    if (!CODE_WRAPPERS.has(parent.name)) break;
    chain.push(parent);
    parent = parent.parent;
  }
  for (const element of chain) {
    const attribs = element.attribs;
    const dataLang = attribs['data-lang'] ?? attribs['data-language'];
    if (dataLang !== undefined) {
      const language = cleanLanguage(dataLang);
      if (language !== null) return language;
    }
    for (const token of classTokens(attribs.class)) {
      const match =
        /^(?:language|lang)-(.+)$/i.exec(token) ?? /^highlight-(?:source-)?(.+)$/i.exec(token);
      if (match !== null) {
        const language = cleanLanguage(match[1]!);
        if (language !== null) return language;
      }
    }
  }
  return null;
}

function cleanLanguage(raw: string): string | null {
  const language = raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_+#.-]/g, '');
  return NO_LANGUAGE.has(language) ? null : language;
}

/**
 * Hugo/Chroma and Pygments write line-numbered code as a one-row table: numbers in the first
 * cell, code in the last. Returns the code's `<pre>` for such a table, else `null`.
 */
function codeTablePre(table: DomElement): DomElement | null {
  let row: DomElement | null = null;
  let rows = 0;
  const findRows = (node: DomElement): void => {
    for (const child of node.children) {
      if (!isElement(child)) continue;
      if (child.name === 'tr') {
        rows++;
        row ??= child;
      } else if (child.name === 'tbody' || child.name === 'thead') {
        findRows(child);
      }
    }
  };
  findRows(table);
  if (rows !== 1 || row === null) return null;
  const cells = (row as DomElement).children.filter(
    (child): child is DomElement =>
      isElement(child) && (child.name === 'td' || child.name === 'th'),
  );
  if (cells.length < 2) return null;
  let pre: DomElement | null = null;
  hasDescendant(cells[cells.length - 1]!, (child) => {
    if (child.name === 'pre') {
      pre = child;
      return true;
    }
    return false;
  });
  if (pre === null) return null;
  const numbers = textOf(cells[0]!);
  return /^[\d\s]+$/.test(numbers) ? pre : null;
}
