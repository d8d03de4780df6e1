// What counts as page chrome (navigation, banners, widgets) and what as an admonition, decided
// from tag names, roles and class/id tokens the way Docsy, MkDocs Material, Docusaurus, Sphinx
// and common Hugo themes write them.

import { classTokens, type DomElement, hasDescendant, isElement, textOf } from './html-dom.js';

/** Elements never rendered: scripts, media, forms, navigation. */
export const SKIP_TAGS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'canvas',
  'iframe',
  'object',
  'embed',
  'video',
  'audio',
  'map',
  'head',
  'meta',
  'link',
  'title',
  'button',
  'select',
  'textarea',
  'form',
  'nav',
  'dialog',
]);

const CHROME_ROLES = new Set([
  'navigation',
  'banner',
  'contentinfo',
  'search',
  'menu',
  'menubar',
  'toolbar',
  'dialog',
  'alertdialog',
  'complementary',
]);

// MkDocs Material marks its widgets with `data-md-component`.
const MATERIAL_CHROME = new Set([
  'header',
  'header-title',
  'header-topic',
  'sidebar',
  'toc',
  'navigation',
  'footer',
  'skip',
  'announce',
  'tabs',
  'search',
  'search-query',
  'search-result',
  'source',
  'outdated',
  'palette',
  'consent',
  'top',
  'dialog',
  'progress',
]);

const CHROME_EXACT = new Set([
  'nav',
  'navbar',
  'navigation',
  'menu',
  'sidebar',
  'toc',
  'table-of-contents',
  'tableofcontents',
  'breadcrumb',
  'breadcrumbs',
  'footer',
  'site-footer',
  'site-header',
  'skip-link',
  'skip-to-content',
  'skiptocontent',
  'consent',
  'gdpr',
  'banner',
  'site-banner',
  'top-banner',
  'notification-bar',
  'feedback',
  'pagination',
  'pager',
  'edit-page',
  'edit-this-page',
  'edit-link',
  'page-meta',
  'last-updated',
  'lastupdated',
  'd-print-none',
  'no-print',
  'noprint',
  'sr-only',
  'visually-hidden',
  'screen-reader-text',
  'headerlink',
  'hash-link',
  'anchorjs-link',
  'heading-anchor',
  'header-anchor',
  'copy-button',
  'copybutton',
  'clipboard',
  'share',
  'sharing',
  'social',
  'social-links',
  'search',
  'searchbox',
  'search-bar',
  'search-box',
  'comments',
  'disqus_thread',
  'cc-window',
  'cc-banner',
  'md-content__button',
  'md-source-file',
  'md-top',
  'md-dialog',
  'md-skip',
  'md-path',
  'md-clipboard',
  'md-feedback',
  'md-source',
  'theme-back-to-top-button',
  'theme-announcement-bar',
  'theme-doc-version-banner',
  'theme-doc-version-badge',
  'toccollapsible',
  'buttongroup',
  'copybuttonicons',
]);

const CHROME_PREFIXES = [
  'md-sidebar',
  'md-header',
  'md-footer',
  'md-nav',
  'md-tabs',
  'md-search',
  'md-banner',
  'td-sidebar',
  'td-page-meta',
  'td-navbar',
  'td-footer',
  'td-toc',
  'td-search',
  'td-breadcrumbs',
  'feedback',
  'cookie',
  'onetrust',
  'navbar',
  'breadcrumb',
  'pagination',
  'theme-doc-toc',
  'theme-doc-sidebar',
  'theme-doc-footer',
  'theme-doc-breadcrumbs',
  'theme-edit',
  'theme-last-updated',
  'announcement',
  'sidebar',
  'toc-',
  'tableofcontents',
  'table-of-contents',
  'docsidebar',
  'skiptocontent',
];

const CHROME_SUFFIXES = [
  '-toc',
  '-sidebar',
  '-navbar',
  '-breadcrumb',
  '-breadcrumbs',
  '-footer',
  '-nav',
  '-menu',
  '-pagination',
  '-feedback',
];

/** Classes of `<a>` elements that are heading permalinks. */
const ANCHOR_LINK_CLASSES = new Set([
  'headerlink',
  'hash-link',
  'anchor',
  'anchor-link',
  'anchorjs-link',
  'td-heading-self-link',
  'heading-anchor',
  'header-anchor',
  'permalink',
  'zola-anchor',
]);

// CSS-module class names carry a short hash (`tableOfContents_bqdL`); strip it to match.
const MODULE_HASH = /_[A-Za-z0-9_-]{4,5}$/;

function tokenIsChrome(token: string): boolean {
  const lower = token.toLowerCase();
  if (matchesChrome(lower)) return true;
  const unhashed = lower.replace(MODULE_HASH, '');
  return unhashed !== lower && unhashed !== '' && matchesChrome(unhashed);
}

function matchesChrome(token: string): boolean {
  if (CHROME_EXACT.has(token)) return true;
  for (const prefix of CHROME_PREFIXES) if (token.startsWith(prefix)) return true;
  for (const suffix of CHROME_SUFFIXES) if (token.endsWith(suffix)) return true;
  return false;
}

const EDIT_LINK_TEXT =
  /^(?:edit (?:this|the) page|edit page|edit on github|edit this page on github|view (?:page )?source|view source on github|create (?:child page|(?:a )?documentation issue|(?:a )?project issue|an issue)|(?:open|file|report) an issue|print (?:entire section|this page)|improve this (?:page|doc)|suggest (?:an )?edits?|report a (?:docs? )?(?:problem|bug))$/i;

const SYMBOL_ONLY = /^[\s#¶§\u200b-\u200d\u2060\ufeff\u{1f517}:]*$/u;

const HIDDEN_STYLE =
  /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*(?:!important\s*)?(?:;|$)/i;

/**
 * Decides, per element, whether the converter drops it. Class strings repeat a lot on real
 * pages (every `token plain` span of a code block), so their verdicts are cached per page.
 */
export class ChromeFilter {
  private readonly classVerdicts = new Map<string, boolean>();

  /** Whether the element is page chrome, hidden, or a widget, and must not be rendered. */
  isRemoved(element: DomElement): boolean {
    const name = element.name;
    if (SKIP_TAGS.has(name)) return true;
    const attribs = element.attribs;
    if (attribs.hidden !== undefined && attribs.role !== 'tabpanel') return true;
    if (attribs['aria-hidden'] === 'true') return true;
    const style = attribs.style;
    if (style !== undefined && HIDDEN_STYLE.test(style)) return true;
    const role = attribs.role;
    if (role !== undefined && CHROME_ROLES.has(role.toLowerCase())) return true;
    const cls = attribs.class;
    if (cls !== undefined && this.classIsChrome(cls)) return true;
    const id = attribs.id;
    if (id !== undefined && tokenIsChrome(id)) return true;
    const mdComponent = attribs['data-md-component'];
    if (mdComponent !== undefined && MATERIAL_CHROME.has(mdComponent)) return true;
    switch (name) {
      case 'header':
        return headerIsChrome(element);
      case 'footer':
        return element.parent?.name !== 'blockquote' && element.parent?.name !== 'figure';
      case 'aside':
        return hasDescendant(element, (child) => child.name === 'nav');
      case 'a':
        return linkIsChrome(element);
      default:
        return false;
    }
  }

  private classIsChrome(cls: string): boolean {
    let verdict = this.classVerdicts.get(cls);
    if (verdict === undefined) {
      verdict = false;
      for (const token of classTokens(cls)) {
        if (tokenIsChrome(token)) {
          verdict = true;
          break;
        }
      }
      this.classVerdicts.set(cls, verdict);
    }
    return verdict;
  }
}

function headerIsChrome(element: DomElement): boolean {
  if (element.parent?.name === 'body') return true;
  if (hasDescendant(element, (child) => child.name === 'nav')) return true;
  // An article's own header holds its title; a header without any heading is a site banner.
  return !hasDescendant(element, (child) => /^h[1-6]$/.test(child.name));
}

function linkIsChrome(element: DomElement): boolean {
  const attribs = element.attribs;
  const href = attribs.href ?? '';
  const label = attribs.title ?? attribs['aria-label'];
  const text = textOf(element);
  if (label !== undefined && EDIT_LINK_TEXT.test(label.trim())) return !inProse(element);
  // Heading permalinks: a fragment link showing only `#`, `¶`, a link icon or nothing.
  if ((href.startsWith('#') || href === '') && SYMBOL_ONLY.test(text)) {
    if (href.startsWith('#')) return true;
    for (const token of classTokens(attribs.class)) {
      if (ANCHOR_LINK_CLASSES.has(token.toLowerCase())) return true;
    }
  }
  return text.length < 60 && EDIT_LINK_TEXT.test(text) && !inProse(element);
}

const PHRASING_PARENTS = new Set([
  'span',
  'strong',
  'b',
  'em',
  'i',
  'small',
  'mark',
  'u',
  'sup',
  'sub',
  'font',
]);

/**
 * Whether a link sits in a sentence (`please [open an issue] with logs`), where it is content
 * even though its words are those of an edit/issue widget: the nearest block around it holds
 * at least three words outside links. A row of widget links has none.
 */
function inProse(link: DomElement): boolean {
  let block = link.parent;
  while (block !== null && block.name !== undefined && PHRASING_PARENTS.has(block.name)) {
    block = block.parent;
  }
  if (block === null || block.type === 'root') return false;
  const prose = textOf(block, (element) => element.name === 'a');
  return (prose.match(/[\p{L}\p{N}]+/gu)?.length ?? 0) >= 3;
}

const ADMONITION_CLASSES = new Set([
  'admonition',
  'alert',
  'theme-admonition',
  'markdown-alert',
  'callout',
  'notices',
]);

const ADMONITION_TYPES = new Set([
  'note',
  'tip',
  'hint',
  'info',
  'warning',
  'caution',
  'danger',
  'important',
  'attention',
  'error',
  'seealso',
  'success',
  'question',
  'example',
  'quote',
  'abstract',
  'bug',
  'failure',
]);

// A bare `<div class="warning">` is taken for an admonition only with these unambiguous names.
const BARE_TYPES = new Set([
  'note',
  'tip',
  'hint',
  'warning',
  'caution',
  'danger',
  'important',
  'attention',
]);

const TITLE_CLASSES = new Set([
  'alert-heading',
  'admonition-title',
  'admonition-heading',
  'admonitionheading',
  'markdown-alert-title',
  'callout-title',
  'notices-title',
]);

/** An admonition's title (or `null` when it shows none) and the element that holds it. */
export interface AdmonitionInfo {
  title: string | null;
  titleElement: DomElement | null;
}

/**
 * Recognises note/warning boxes: Docsy `.alert`, MkDocs and Sphinx `.admonition`, Docusaurus
 * `.theme-admonition`, GitHub `.markdown-alert`, Hugo `.notices`/`.callout`, and `<aside>`.
 */
export function admonitionOf(element: DomElement): AdmonitionInfo | null {
  const name = element.name;
  if (name !== 'div' && name !== 'aside' && name !== 'section' && name !== 'details') return null;
  const tokens = classTokens(element.attribs.class).map((token) => token.toLowerCase());
  let isAdmonition = name === 'aside' || element.attribs.role === 'note';
  let typeName: string | null = null;
  let named = false;
  for (const token of tokens) {
    if (ADMONITION_CLASSES.has(token)) {
      isAdmonition = true;
      // Bootstrap's plain `.alert` (Docsy) shows no title unless the author gave one.
      named = named || token !== 'alert';
    } else if (ADMONITION_TYPES.has(token)) {
      typeName = token;
    } else if (token.startsWith('theme-admonition-')) {
      typeName = token.slice('theme-admonition-'.length);
    } else if (token.startsWith('markdown-alert-')) {
      typeName = token.slice('markdown-alert-'.length);
    }
  }
  if (tokens.includes('alert-dismissible')) return null;
  if (
    !isAdmonition &&
    typeName !== null &&
    BARE_TYPES.has(typeName) &&
    name !== 'details' &&
    tokens.length <= 2
  ) {
    isAdmonition = true;
    named = true;
  }
  if (!isAdmonition && !(name === 'details' && typeName !== null)) return null;

  const titleElement = findTitleElement(element);
  if (titleElement !== null) {
    return { title: cleanTitle(textOf(titleElement)), titleElement };
  }
  if (named && typeName !== null) return { title: cleanTitle(typeName), titleElement: null };
  return { title: null, titleElement: null };
}

function findTitleElement(element: DomElement): DomElement | null {
  for (const child of element.children) {
    if (!isElement(child)) continue;
    if (child.name === 'summary') return child;
    for (const token of classTokens(child.attribs.class)) {
      const lower = token.toLowerCase();
      if (TITLE_CLASSES.has(lower) || TITLE_CLASSES.has(lower.replace(MODULE_HASH, ''))) {
        return child;
      }
    }
  }
  return null;
}

function cleanTitle(text: string): string | null {
  const title = text.replace(/[:\s]+$/, '').trim();
  if (title === '') return null;
  return title[0]!.toUpperCase() + title.slice(1);
}

/** Breadcrumb containers: `aria-label="breadcrumb"`, `.breadcrumb(s)`, schema.org lists. */
export function isBreadcrumbContainer(element: DomElement): boolean {
  const attribs = element.attribs;
  const label = attribs['aria-label'];
  if (label !== undefined && /breadcrumb/i.test(label)) return true;
  const itemtype = attribs.itemtype;
  if (itemtype?.includes('BreadcrumbList')) return true;
  const cls = attribs.class;
  // Most elements have classes and none of them is a breadcrumb: skip the split.
  if (cls === undefined || !/breadcrumb|md-path/i.test(cls)) return false;
  for (const token of classTokens(cls)) {
    const lower = token.toLowerCase();
    if (lower === 'breadcrumb' || lower === 'breadcrumbs' || lower === 'md-path') return true;
    if (lower.endsWith('-breadcrumbs') || lower.endsWith('-breadcrumb')) return true;
  }
  return false;
}
