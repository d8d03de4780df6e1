// A realistic documentation site built from the real etcd and Prometheus docs (test/fixtures/docs),
// rendered the way Hugo with the Docsy theme renders them, and a static server for it. The crawler
// tests and the benchmark run against this instead of the live sites: it has the chrome a real
// docs site has (navbar, sidebar, breadcrumbs, TOC, cookie banner, footer), Hugo's code-block
// markup, robots.txt, a sitemap, an older docs version, broken links and conditional requests.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked, type Tokens } from 'marked';
import { parse as parseYaml } from 'yaml';

/** The two real documentation sets the site is made of. */
export type DocsProject = 'etcd' | 'prometheus';

/** One rendered page of the site. */
export interface SitePage {
  /** URL path, e.g. `/docs/v3.6/install/` (directories end in `/`, as Hugo writes them). */
  path: string;
  /** Path of the markdown source relative to `test/fixtures`, e.g. `docs/etcd/v3.6/install.md`. */
  source: string;
  /** Page title from the front matter. */
  title: string;
  /** The complete HTML document as served (with {@link DOCS_SITE_ORIGIN} as the origin). */
  html: string;
  project: DocsProject;
  /**
   * The markdown that was rendered: front matter removed and Hugo shortcodes expanded (params
   * substituted, `alert` turned into Docsy's `<div class="alert">` around its markdown). This is
   * what a reader of the page sees, so the extraction round-trip test counts code blocks in it.
   */
  markdown: string;
  /** Breadcrumb labels from the docs root to this page, this page last. */
  breadcrumbs: string[];
  /** 0 for the original site, n for the n-th replica made by `copies`. */
  copy: number;
}

/** A built site: its pages and every servable file. */
export interface DocsSite {
  pages: SitePage[];
  /**
   * Every servable path (pages, robots.txt, sitemap.xml, the PDF, images, CSS, JS). Pages carry
   * the date the server sends as `Last-Modified`.
   */
  files: Map<string, { body: Buffer; contentType: string; lastModified?: Date }>;
  /** The path prefix that robots.txt disallows for every user agent. */
  disallowedPrefix: string;
  /**
   * Paths answered with a 302, like prometheus.io's `/docs/` that sends readers to the first
   * page (the Prometheus docs have no root page).
   */
  redirects?: Map<string, string>;
}

/** Options of {@link buildDocsSite}. */
export interface BuildDocsSiteOptions {
  /** @default ['etcd', 'prometheus'] */
  projects?: DocsProject[];
  /** Also render a few etcd pages as the older `/docs/v3.5/` version. @default true */
  versions?: boolean;
  /**
   * Replicate every page under `/copy-1/`, `/copy-2/`, … (links inside a replica stay inside
   * it) to reach a few hundred pages for the benchmark. @default 0
   */
  copies?: number;
  /** Where the fixtures live; the benchmark sets it because it runs a bundled copy of this file. */
  fixturesDir?: string;
}

/**
 * The origin written into absolute URLs (canonical links, sitemap, robots.txt) at build time.
 * {@link startDocsSite} replaces it with the real `http://127.0.0.1:port` when serving.
 */
export const DOCS_SITE_ORIGIN = 'http://docs-site.test';

/** The section of the etcd docs that robots.txt disallows: real pages, linked from the sidebar. */
const DISALLOWED_SECTION = '/docs/v3.6/dev-internal/';

/** The etcd pages that also exist as the older v3.5 docs, to exercise a latest-version rule. */
const V35_PAGES = [
  'v3.6/_index.md',
  'v3.6/quickstart.md',
  'v3.6/install.md',
  'v3.6/faq.md',
  'v3.6/op-guide/_index.md',
  'v3.6/op-guide/clustering.md',
  'v3.6/op-guide/recovery.md',
  'v3.6/op-guide/maintenance.md',
  'v3.6/learning/_index.md',
  'v3.6/learning/api.md',
];

/** Site-wide Hugo params of etcd.io that the docs read with `{{< param >}}`. */
const SITE_PARAMS: Record<string, string> = { github_branch: 'main' };

const VERSION_PARAMS: Record<string, Record<string, string>> = {
  'v3.6': { version: 'v3.6', git_version_tag: 'v3.6.0' },
  'v3.5': { version: 'v3.5', git_version_tag: 'v3.5.21' },
};

const WHITEPAPER_PATH = '/whitepapers/supply-chain.pdf';
const WHITEPAPER_FILE = 'whitepapers/Software_Supply_Chain_Practices_whitepaper_v2.pdf';

/** Text of chrome that must never reach extracted markdown; the round-trip test checks it. */
export const CHROME_TEXT = {
  cookieBanner: 'We use cookies to measure how these docs are read and to improve them.',
  copyright: 'All Rights Reserved',
  editPage: 'Edit this page',
  docIssue: 'Create doc issue',
  viewSource: 'View page source',
  searchPlaceholder: 'Search this site…',
  feedback: 'Was this page helpful?',
  lastModified: 'Last modified',
} as const;

interface Brand {
  name: string;
  repoEdit: (relPath: string) => string;
  repoIssue: string;
  repoCommit: string;
  footerCopyright: string;
  footerLicence: string;
  navLinks: { label: string; href: string }[];
}

const BRANDS: Record<DocsProject, Brand> = {
  etcd: {
    name: 'etcd',
    repoEdit: (rel) => `https://github.com/etcd-io/website/edit/main/content/en/docs/${rel}`,
    repoIssue: 'https://github.com/etcd-io/website/issues/new',
    repoCommit: 'https://github.com/etcd-io/website/commit/',
    footerCopyright: '© 2025 The etcd Authors',
    footerLicence:
      'Documentation distributed under CC BY 4.0; code samples under the Apache License 2.0.',
    navLinks: [
      { label: 'Docs', href: '/docs/' },
      { label: 'Blog', href: '/blog/' },
      { label: 'Community', href: '/community/' },
      { label: 'Install', href: '/install/' },
    ],
  },
  prometheus: {
    name: 'Prometheus',
    repoEdit: (rel) => `https://github.com/prometheus/docs/edit/main/docs/${rel}`,
    repoIssue: 'https://github.com/prometheus/docs/issues/new',
    repoCommit: 'https://github.com/prometheus/docs/commit/',
    footerCopyright: '© Prometheus Authors 2014–2025',
    footerLicence: 'Documentation distributed under the Apache License 2.0.',
    navLinks: [
      { label: 'Docs', href: '/prometheus/docs/introduction/overview/' },
      { label: 'Download', href: 'https://prometheus.io/download/' },
      { label: 'Community', href: 'https://prometheus.io/community/' },
      { label: 'Blog', href: 'https://prometheus.io/blog/' },
    ],
  },
};

/** One markdown file, before rendering. */
interface SourceDoc {
  project: DocsProject;
  /** Relative to the project folder, e.g. `v3.6/install.md`. */
  rel: string;
  /** Relative to the fixtures folder. */
  source: string;
  frontMatter: Record<string, unknown>;
  body: string;
}

/** A page in the site's tree, before rendering. */
interface PageNode {
  doc: SourceDoc;
  /** URL path without the replica prefix. */
  path: string;
  title: string;
  label: string;
  description: string | undefined;
  order: number;
  isSection: boolean;
  params: Record<string, string>;
  /** `v3.6`, `v3.5`, or undefined outside the versioned etcd tree. */
  version: string | undefined;
  parent: PageNode | undefined;
  children: PageNode[];
  lastModified: Date;
}

const defaultFixturesDir = (): string =>
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

function* walkMarkdown(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walkMarkdown(full);
    else if (entry.name.endsWith('.md')) yield full;
  }
}

function readSourceDocs(fixturesDir: string, project: DocsProject): SourceDoc[] {
  const projectDir = path.join(fixturesDir, 'docs', project);
  return [...walkMarkdown(projectDir)].map((file) => {
    // One etcd page starts with a byte-order mark; Hugo ignores it, so do we.
    const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
    const frontMatter = match
      ? ((parseYaml(match[1] ?? '') as Record<string, unknown> | null) ?? {})
      : {};
    return {
      project,
      rel: toPosix(path.relative(projectDir, file)),
      source: toPosix(path.relative(fixturesDir, file)),
      frontMatter,
      body: match ? text.slice(match[0].length) : text,
    };
  });
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

const isIndexFile = (rel: string): boolean => /(^|\/)_?index\.md$/.test(rel);

/** Hugo's URL for a content file: sections and leaf bundles end in `/`, paths are lowercased. */
function urlPathFor(doc: SourceDoc, version?: string): string {
  let rel = doc.rel.replace(/(^|\/)_?index\.md$/, '$1').replace(/\.md$/, '/');
  if (version !== undefined) rel = rel.replace(/^v3\.6\//, `${version}/`);
  const base = doc.project === 'etcd' ? '/docs/' : '/prometheus/docs/';
  return `${base}${rel}`.toLowerCase();
}

function stringField(fm: Record<string, unknown>, key: string): string | undefined {
  const value = fm[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A stable fake "last modified" per page, so ETag and Last-Modified do not change per build. */
function lastModifiedFor(key: string): Date {
  const day = createHash('sha1').update(key).digest().readUInt16BE(0) % 365;
  return new Date(Date.UTC(2025, 0, 1) + day * 86_400_000);
}

function makeNodes(docs: SourceDoc[], version: string | undefined): PageNode[] {
  const nodes = docs.map((doc): PageNode => {
    const fm = doc.frontMatter;
    const title = stringField(fm, 'title') ?? path.posix.basename(doc.rel, '.md');
    const nodeVersion =
      doc.project === 'etcd' && doc.rel.startsWith('v3.6/') ? (version ?? 'v3.6') : undefined;
    // Hugo's lookup order for `param`: the page's front matter, then what v3.6/_index.md
    // cascades (the version), then site params; the version always wins for the v3.5 copy.
    const params: Record<string, string> = { ...SITE_PARAMS };
    for (const [key, value] of Object.entries(fm)) {
      if (typeof value === 'string' || typeof value === 'number') params[key] = String(value);
    }
    if (nodeVersion !== undefined) Object.assign(params, VERSION_PARAMS[nodeVersion]);
    let label = stringField(fm, 'linkTitle') ?? stringField(fm, 'nav_title') ?? title;
    let pageTitle = title;
    if (nodeVersion === 'v3.5' && doc.rel === 'v3.6/_index.md') {
      label = 'v3.5';
      pageTitle = 'v3.5 docs';
    }
    const weight = fm.weight ?? fm.sort_rank;
    return {
      doc,
      path: urlPathFor(doc, nodeVersion === 'v3.5' ? 'v3.5' : undefined),
      title: pageTitle,
      label,
      description: stringField(fm, 'description'),
      // Hugo sorts pages without a weight after the weighted ones.
      order: typeof weight === 'number' ? weight : Number.MAX_SAFE_INTEGER,
      isSection: isIndexFile(doc.rel),
      params,
      version: nodeVersion,
      parent: undefined,
      children: [],
      lastModified: lastModifiedFor(`${doc.source}@${nodeVersion ?? ''}`),
    };
  });
  const byPath = new Map(nodes.map((n) => [n.path, n]));
  for (const node of nodes) {
    // The parent is the nearest ancestor directory that has a page; etcd's dev-internal has no
    // _index.md, so its pages hang under v3.6 as they do in the sidebar of etcd.io.
    let dir = node.path.replace(/[^/]+\/$/, '');
    while (dir.length > 1) {
      const parent = byPath.get(dir);
      if (parent !== undefined && parent !== node) {
        node.parent = parent;
        parent.children.push(node);
        break;
      }
      dir = dir.replace(/[^/]+\/$/, '');
    }
  }
  for (const node of nodes) node.children.sort(compareNodes);
  return nodes;
}

function compareNodes(a: PageNode, b: PageNode): number {
  return a.order - b.order || a.label.localeCompare(b.label);
}

// ---------------------------------------------------------------------------------------------
// Shortcodes

/**
 * Expands the Hugo shortcodes the etcd docs use (`param`, `psubstr`, `relref`, `figure`,
 * `alert`) into what Hugo and Docsy put in their place.
 */
function expandShortcodes(
  markdown: string,
  node: PageNode,
  resolveRelref: (target: string) => string,
): string {
  const param = (name: string): string => {
    const value = node.params[name];
    if (value === undefined) throw new Error(`${node.doc.source}: unknown Hugo param ${name}`);
    return value;
  };
  return (
    markdown
      .replace(/\{\{<\s*param\s+"?([\w.]+)"?\s*>\}\}/g, (_m, name: string) => param(name))
      .replace(/\{\{<\s*psubstr\s+"?([\w.]+)"?\s+(\d+)\s*>\}\}/g, (_m, name: string, from) =>
        param(name).slice(Number(from)),
      )
      .replace(/\{\{<\s*relref\s+"([^"]+)"\s*>\}\}/g, (_m, target: string) => resolveRelref(target))
      .replace(
        /\{\{<\s*figure\s+src="([^"]+)"\s*>\}\}/g,
        (_m, src: string) => `<figure><img src="${escapeAttr(src)}"/>\n</figure>`,
      )
      // Docsy's alert: a div around the markdown of its body. The div lines are separate HTML
      // blocks (blank line after the opening, before the closing) so the body stays markdown.
      .replace(
        /^([ \t]*)\{\{%\s*alert\b(.*?)%\}\}[ \t]*$/gm,
        (_m, indent: string, args: string) => {
          const title = /title="([^"]*)"/.exec(args)?.[1];
          const color = /color="([^"]*)"/.exec(args)?.[1] ?? 'primary';
          const heading =
            title === undefined
              ? ''
              : `\n${indent}<div class="h4 alert-heading" role="heading">${escapeHtml(title)}</div>`;
          return `${indent}<div class="alert alert-${escapeAttr(color)}" role="alert">${heading}\n`;
        },
      )
      .replace(
        /^([ \t]*)\{\{%\s*\/alert\s*%\}\}[ \t]*$/gm,
        (_m, indent: string) => `\n${indent}</div>`,
      )
  );
}

// ---------------------------------------------------------------------------------------------
// Markdown rendering

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => escapeHtml(s).replace(/"/g, '&quot;');
/** Go's html.EscapeString, which Chroma uses for code. */
const escapeChroma = (s: string): string =>
  escapeHtml(s).replace(/"/g, '&#34;').replace(/'/g, '&#39;');

const SHELL = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
const SHELL_BUILTINS =
  /\b(?:echo|cd|export|sudo|curl|mkdir|rm|cp|mv|cat|tar|chmod|set|exit|source|kill|ls|grep)\b/;
const C_LIKE = new Set(['go', 'java', 'proto', 'protobuf', 'json', 'javascript', 'js']);
const C_KEYWORDS =
  /\b(?:package|import|func|return|if|else|for|range|var|const|type|struct|interface|map|chan|go|defer|nil|true|false|message|service|rpc|returns|repeated|string|int64|uint64|bytes|bool|public|class|static|void|new|syntax|option)\b/;

/**
 * Splits one line of code into Chroma-like token spans. Deliberately small: the point is markup
 * shaped like Hugo's (text split across spans, entities), not faithful highlighting. The spans
 * always concatenate back to the exact line.
 */
function highlightLine(line: string, lang: string): string {
  const span = (cls: string, text: string): string =>
    `<span class="${cls}">${escapeChroma(text)}</span>`;
  if (lang === 'diff') {
    if (line.startsWith('+')) return span('gi', line);
    if (line.startsWith('-')) return span('gd', line);
    if (line.startsWith('@@')) return span('gu', line);
    return escapeChroma(line);
  }
  let prefix = '';
  let rest = line;
  if (lang === 'console') {
    if (!/^\$ /.test(line)) return line === '' ? '' : span('go', line);
    prefix = span('gp', '$ ');
    rest = line.slice(2);
  }
  let pattern: RegExp | undefined;
  if (SHELL.has(lang)) {
    pattern = new RegExp(
      `(?<c1>(?:^|(?<=\\s))#.*$)|(?<s2>"(?:[^"\\\\]|\\\\.)*")|(?<s1>'[^']*')|(?<nv>\\$\\{?\\w+\\}?)|(?<nb>${SHELL_BUILTINS.source})`,
      'g',
    );
  } else if (lang === 'yaml' || lang === 'yml') {
    pattern =
      /(?<c1>(?:^|(?<=\s))#.*$)|(?<nt>^\s*[\w.-]+(?=:))|(?<s2>"(?:[^"\\]|\\.)*")|(?<s1>'[^']*')|(?<m>\b\d+\b)/g;
  } else if (C_LIKE.has(lang)) {
    pattern = new RegExp(
      `(?<c1>//.*$)|(?<s>"(?:[^"\\\\]|\\\\.)*")|(?<sb>\`[^\`]*\`)|(?<k>${C_KEYWORDS.source})|(?<mi>\\b\\d+\\b)`,
      'g',
    );
  } else if (lang === 'python') {
    pattern =
      /(?<c1>#.*$)|(?<s2>"(?:[^"\\]|\\.)*")|(?<s1>'[^']*')|(?<k>\b(?:def|import|from|return|if|else|for|in|class|None|True|False)\b)/g;
  }
  if (pattern === undefined) return prefix + escapeChroma(rest);
  let out = prefix;
  let last = 0;
  for (const match of rest.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (match[0] === '') continue;
    out += escapeChroma(rest.slice(last, index));
    const cls = Object.entries(match.groups ?? {}).find(([, v]) => v !== undefined)?.[0] ?? 'x';
    out += span(cls, match[0]);
    last = index + match[0].length;
  }
  return out + escapeChroma(rest.slice(last));
}

/** A fenced or indented code block as Hugo (goldmark + Chroma) writes it. */
function renderCode(token: Tokens.Code): string {
  // marked keeps the final newline of a block that ends in a blank line and drops it otherwise;
  // CommonMark's content is always "lines, each ending in a newline", so normalise to that.
  const text = token.text.replace(/\n$/, '');
  if (token.codeBlockStyle === 'indented')
    return `<pre><code>${escapeChroma(text)}\n</code></pre>\n`;
  const lang = (token.lang ?? '').trim().split(/\s+/)[0] ?? '';
  if (lang === '') return `<pre tabindex="0"><code>${escapeChroma(text)}\n</code></pre>\n`;
  const lines = text
    .split('\n')
    .map(
      (line) => `<span class="line"><span class="cl">${highlightLine(line, lang)}\n</span></span>`,
    )
    .join('');
  const l = escapeAttr(lang);
  return `<div class="highlight"><pre tabindex="0" class="chroma"><code class="language-${l}" data-lang="${l}">${lines}</code></pre></div>\n`;
}

/** Hugo's default heading ids (GitHub style). */
function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/&[a-z#0-9]+;/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

interface RenderResult {
  html: string;
  toc: { depth: number; id: string; text: string }[];
  images: string[];
}

/** Renders markdown to HTML the way Hugo would, rewriting link targets with `rewrite`. */
function renderMarkdown(
  markdown: string,
  rewrite: (href: string, kind: 'link' | 'image') => string,
): RenderResult {
  const toc: RenderResult['toc'] = [];
  const images: string[] = [];
  const used = new Map<string, number>();
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      code: (token) => renderCode(token),
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        const plain = inner.replace(/<[^>]*>/g, '');
        let id = slugify(inner) || 'heading';
        const seen = used.get(id) ?? 0;
        used.set(id, seen + 1);
        if (seen > 0) id = `${id}-${seen}`;
        if (depth >= 2 && depth <= 3) toc.push({ depth, id, text: plain });
        return `<h${depth} id="${id}">${inner}<a class="td-heading-self-link" href="#${id}" aria-label="Heading self-link"></a></h${depth}>\n`;
      },
    },
  });
  const tokens = marked.lexer(markdown);
  marked.walkTokens(tokens, (token) => {
    if (token.type === 'link') token.href = rewrite(token.href, 'link');
    if (token.type === 'image') {
      token.href = rewrite(token.href, 'image');
      images.push(token.href);
    }
  });
  for (const m of markdown.matchAll(/<img\s[^>]*src="([^"]+)"/g)) images.push(m[1] ?? '');
  return { html: marked.parser(tokens), toc, images };
}

// ---------------------------------------------------------------------------------------------
// Links

interface LinkContext {
  node: PageNode;
  bySource: Map<string, PageNode>;
  prefix: string;
}

const isDocsPath = (p: string): boolean => p.startsWith('/docs/') || p.startsWith('/prometheus/');

/** Adds the replica prefix to a site path that belongs to the docs. */
const inCopy = (prefix: string, p: string): string => (prefix && isDocsPath(p) ? prefix + p : p);

/**
 * Turns a link as written in the markdown into a root-relative site path: `.md` links resolve
 * against the source file (GitHub style, used by Prometheus), other relative links against the
 * page URL (how a browser reads Hugo's output), and Prometheus' absolute `/docs/` links move
 * under `/prometheus/`. External links stay as they are.
 */
function rewriteHref(href: string, kind: 'link' | 'image', ctx: LinkContext): string {
  if (href === '' || href.startsWith('#') || /^[a-z][a-z0-9+.-]*:|^\/\//i.test(href)) return href;
  const cut = href.search(/[?#]/);
  const target = cut === -1 ? href : href.slice(0, cut);
  const suffix = cut === -1 ? '' : href.slice(cut);
  const { node, bySource, prefix } = ctx;
  const project = node.doc.project;
  if (target.endsWith('.md')) {
    const rel = path.posix.normalize(path.posix.join(path.posix.dirname(node.doc.rel), target));
    const page = bySource.get(`${project}/${rel}`);
    if (page !== undefined) return inCopy(prefix, page.path) + suffix;
  }
  if (target.startsWith('/')) {
    if (project === 'prometheus') {
      if (target.startsWith('/docs/')) return inCopy(prefix, `/prometheus${target}`) + suffix;
      return `https://prometheus.io${target}${suffix}`;
    }
    return (kind === 'link' ? inCopy(prefix, target) : target) + suffix;
  }
  const resolved = new URL(target, `${DOCS_SITE_ORIGIN}${node.path}`).pathname;
  return (kind === 'link' ? inCopy(prefix, resolved) : resolved) + suffix;
}

/** Hugo's relref: relative to the page's directory first, then to the content root. */
function resolveRelref(target: string, node: PageNode, bySource: Map<string, PageNode>): string {
  const dir = path.posix.dirname(node.doc.rel);
  const roots = [dir, node.doc.rel.split('/')[0] ?? '', ''];
  for (const root of roots) {
    for (const candidate of [`${target}.md`, `${target}/_index.md`, `${target}/index.md`]) {
      const page = bySource.get(`${node.doc.project}/${path.posix.join(root, candidate)}`);
      if (page !== undefined) return page.path;
    }
  }
  throw new Error(`${node.doc.source}: relref "${target}" resolves to no page`);
}

// ---------------------------------------------------------------------------------------------
// Page chrome

function ancestors(node: PageNode): PageNode[] {
  const chain: PageNode[] = [];
  for (let n: PageNode | undefined = node; n !== undefined; n = n.parent) chain.unshift(n);
  return chain;
}

const elementId = (p: string): string => `m-${p.replace(/[^a-z0-9]/gi, '')}`;

function renderSidebarTree(
  node: PageNode,
  current: PageNode,
  prefix: string,
  depth: number,
  expand: (n: PageNode) => boolean,
): string {
  const id = elementId(node.path);
  const active = node === current;
  const onPath = ancestors(current).includes(node);
  const hasChildren = node.children.length > 0 && expand(node);
  const classes = [
    'td-sidebar-nav__section-title',
    'td-sidebar-nav__section',
    hasChildren ? 'with-child' : 'without-child',
    onPath ? 'active-path' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const linkClass = `align-left ps-0${active ? ' active' : ''} td-sidebar-link td-sidebar-link__${node.isSection ? 'section' : 'page'}${depth === 0 ? ' tree-root' : ''}`;
  const label = `<span class="${active ? 'td-sidebar-nav-active-item' : ''}">${escapeHtml(node.label)}</span>`;
  let html = `<li class="${classes}" id="${id}-li"><input type="checkbox" id="${id}-check"${onPath ? ' checked' : ''}/><label for="${id}-check"><a href="${inCopy(prefix, node.path)}" class="${linkClass}" id="${id}">${label}</a></label>`;
  if (hasChildren) {
    html += `<ul class="ul-${depth + 1} foldable">`;
    for (const child of node.children)
      html += renderSidebarTree(child, current, prefix, depth + 1, expand);
    html += '</ul>';
  }
  return `${html}</li>`;
}

function renderSidebar(node: PageNode, roots: PageNode[], prefix: string): string {
  // etcd's tree shows the current version expanded and other versions as a single link.
  const expand = (n: PageNode): boolean =>
    n.version === undefined || n.version === node.version || node.version === undefined;
  const tree = roots.map((root) => renderSidebarTree(root, node, prefix, 0, expand)).join('');
  return `<aside class="col-12 col-md-3 col-xl-2 td-sidebar d-print-none">
<div id="td-sidebar-menu" class="td-sidebar__inner">
<form class="td-sidebar__search d-flex align-items-center"><div class="td-search td-search--offline"><div class="td-search__icon"></div><input type="search" class="td-search__input form-control" placeholder="${CHROME_TEXT.searchPlaceholder}" aria-label="${CHROME_TEXT.searchPlaceholder}" autocomplete="off"></div>
<button class="btn btn-link td-sidebar__toggle d-md-none p-0 ms-3 fas fa-bars" type="button" data-bs-toggle="collapse" data-bs-target="#td-section-nav" aria-controls="td-section-nav" aria-expanded="false" aria-label="Toggle section navigation"></button></form>
<nav class="td-sidebar-nav collapse foldable-nav" id="td-section-nav"><ul class="td-sidebar-nav__section pe-md-3 ul-0">${tree}</ul></nav>
</div>
</aside>`;
}

function renderNavbar(node: PageNode, prefix: string): string {
  const brand = BRANDS[node.doc.project];
  const links = brand.navLinks
    .map(
      (l) =>
        `<li class="nav-item"><a class="nav-link${l.label === 'Docs' ? ' active' : ''}" href="${inCopy(prefix, l.href)}"><span>${l.label}</span></a></li>`,
    )
    .join('\n');
  const versions =
    node.doc.project === 'etcd'
      ? `<li class="nav-item dropdown d-none d-lg-block"><div class="dropdown"><a class="nav-link dropdown-toggle" href="#" role="button" data-bs-toggle="dropdown" aria-haspopup="true" aria-expanded="false">${node.version ?? 'v3.6'}</a>
<ul class="dropdown-menu"><li><a class="dropdown-item" href="${inCopy(prefix, '/docs/v3.6/')}">v3.6</a></li><li><a class="dropdown-item" href="${inCopy(prefix, '/docs/v3.5/')}">v3.5</a></li></ul></div></li>`
      : '';
  return `<header>
<nav class="td-navbar js-navbar-scroll" data-bs-theme="dark">
<div class="container-fluid flex-column flex-md-row">
<a class="navbar-brand" href="/"><span class="navbar-brand__logo navbar-logo"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="30" height="30"><title>${brand.name}</title><circle cx="8" cy="8" r="7"/></svg></span><span class="navbar-brand__name">${brand.name}</span></a>
<div class="td-navbar-nav-scroll ms-md-auto" id="main_navbar">
<ul class="navbar-nav">
${links}
${versions}
</ul>
</div>
<div class="d-none d-lg-block"><div class="td-search td-search--offline"><div class="td-search__icon"></div><input type="search" class="td-search__input form-control td-search-input" placeholder="${CHROME_TEXT.searchPlaceholder}" aria-label="${CHROME_TEXT.searchPlaceholder}" autocomplete="off" data-offline-search-index-json-src="/offline-search-index.json"></div></div>
</div>
</nav>
</header>`;
}

function renderBreadcrumbs(node: PageNode, prefix: string): string {
  const items = ancestors(node).map((n) =>
    n === node
      ? `<li class="breadcrumb-item active" aria-current="page">${escapeHtml(n.label)}</li>`
      : `<li class="breadcrumb-item"><a href="${DOCS_SITE_ORIGIN}${inCopy(prefix, n.path)}">${escapeHtml(n.label)}</a></li>`,
  );
  return `<nav aria-label="breadcrumb" class="td-breadcrumbs">\n<ol class="breadcrumb">\n${items.join('\n')}\n</ol>\n</nav>`;
}

function renderPageMeta(node: PageNode): string {
  const brand = BRANDS[node.doc.project];
  const editUrl = brand.repoEdit(node.doc.rel);
  return `<div class="td-page-meta ms-2 pb-1 pt-2 mb-0">
<a href="${editUrl.replace('/edit/', '/tree/')}" class="td-page-meta--view" target="_blank" rel="noopener"><i class="fa-solid fa-file-lines fa-fw"></i> ${CHROME_TEXT.viewSource}</a>
<a href="${editUrl}" class="td-page-meta--edit" target="_blank" rel="noopener"><i class="fa-solid fa-pen-to-square fa-fw"></i> ${CHROME_TEXT.editPage}</a>
<a href="${brand.repoIssue}?title=${encodeURIComponent(node.title)}" class="td-page-meta--issue" target="_blank" rel="noopener"><i class="fa-solid fa-list-check fa-fw"></i> ${CHROME_TEXT.docIssue}</a>
</div>`;
}

function renderToc(toc: RenderResult['toc']): string {
  if (toc.length === 0) return '';
  let html = '<div class="td-toc"><nav id="TableOfContents"><ul>';
  let open = false;
  for (const [i, entry] of toc.entries()) {
    const next = toc[i + 1];
    const item = `<li><a href="#${entry.id}">${escapeHtml(entry.text)}</a>`;
    if (entry.depth === 2) {
      if (open) html += '</ul></li>';
      open = false;
      html += item;
      if (next?.depth === 3) {
        html += '<ul>';
        open = true;
      } else html += '</li>';
    } else html += `${item}</li>`;
  }
  if (open) html += '</ul></li>';
  return `${html}</ul></nav></div>`;
}

function renderSectionIndex(node: PageNode, prefix: string): string {
  if (node.children.length === 0) return '';
  if (node.doc.frontMatter.simple_list === true) {
    const items = node.children
      .map((c) => `<li><a href="${inCopy(prefix, c.path)}">${escapeHtml(c.label)}</a></li>`)
      .join('\n');
    return `<div class="section-index">\n<ul>\n${items}\n</ul>\n</div>`;
  }
  const entries = node.children
    .map(
      (c) =>
        `<div class="entry">\n<h5><a href="${inCopy(prefix, c.path)}">${escapeHtml(c.title)}</a></h5>\n${c.description === undefined ? '' : `<p>${escapeHtml(c.description)}</p>\n`}</div>`,
    )
    .join('\n');
  return `<div class="section-index">\n<hr class="panel-line">\n${entries}\n</div>`;
}

function renderFooter(project: DocsProject): string {
  const brand = BRANDS[project];
  return `<footer class="td-footer row d-print-none">
<div class="container-fluid">
<div class="row mx-md-2">
<div class="td-footer__left col-6 col-sm-4 order-sm-1"><ul class="td-footer__links-list"><li class="td-footer__links-item" title="Mastodon"><a target="_blank" rel="noopener" href="https://hachyderm.io/" aria-label="Mastodon"><i class="fab fa-mastodon"></i></a></li></ul></div>
<div class="td-footer__right col-6 col-sm-4 order-sm-3"><ul class="td-footer__links-list"><li class="td-footer__links-item" title="GitHub"><a target="_blank" rel="noopener" href="${brand.repoIssue.replace(/\/issues\/new$/, '')}" aria-label="GitHub"><i class="fab fa-github"></i></a></li></ul></div>
<div class="td-footer__center col-12 col-sm-4 py-2 order-sm-2">
<span class="td-footer__copyright">${brand.footerCopyright}</span> <span class="td-footer__all_rights_reserved">${CHROME_TEXT.copyright}</span>
<span class="ms-2"><a href="https://www.linuxfoundation.org/legal/privacy-policy" target="_blank" rel="noopener" class="td-footer__privacy-link">Privacy Policy</a></span>
<p class="td-footer__licence">${brand.footerLicence}</p>
</div>
</div>
</div>
</footer>`;
}

const COOKIE_BANNER = `<div id="cookie-consent" class="cookie-banner fixed-bottom d-print-none" role="dialog" aria-live="polite" aria-label="Cookie consent">
<p>${CHROME_TEXT.cookieBanner} <a href="https://www.linuxfoundation.org/legal/cookies">Learn more about cookies</a>.</p>
<button type="button" class="btn btn-primary" data-consent="accept">Accept cookies</button> <button type="button" class="btn btn-secondary" data-consent="decline">Decline</button>
</div>`;

const FEEDBACK = `<div class="d-print-none">
<h2 class="feedback--title">Feedback</h2>
<p class="feedback--question">${CHROME_TEXT.feedback}</p>
<button class="btn btn-primary mb-4 feedback--answer feedback--answer-yes">Yes</button>
<button class="btn btn-primary mb-4 feedback--answer feedback--answer-no">No</button>
</div>`;

const formatDate = (d: Date): string =>
  d.toLocaleDateString('en-US', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  });

interface PageContext {
  node: PageNode;
  roots: PageNode[];
  prefix: string;
  copy: number;
  content: RenderResult;
}

function renderPage(ctx: PageContext): string {
  const { node, roots, prefix, copy, content } = ctx;
  const brand = BRANDS[node.doc.project];
  const url = `${DOCS_SITE_ORIGIN}${inCopy(prefix, node.path)}`;
  const description = node.description ?? `${brand.name} documentation: ${node.title}`;
  const archived =
    node.version === 'v3.5'
      ? `<div class="pageinfo pageinfo-primary"><p>Version v3.5 of the documentation is no longer actively maintained. The version you are viewing is a static snapshot. For up-to-date documentation, see the <a href="${inCopy(prefix, '/docs/v3.6/')}">latest version</a>.</p></div>\n`
      : '';
  const mirror =
    copy > 0 ? `<p class="td-mirror-note">Replica ${copy} of the ${brand.name} docs.</p>\n` : '';
  const lead =
    node.description === undefined
      ? ''
      : `<div class="lead">${escapeHtml(node.description)}</div>\n`;
  const sha = createHash('sha1').update(node.doc.source).digest('hex').slice(0, 7);
  const lastmod = `<div class="td-page-meta__lastmod">${CHROME_TEXT.lastModified} ${formatDate(node.lastModified)}: <a data-proofer-ignore href="${brand.repoCommit}${sha}">Docs: tidy up wording (${sha})</a></div>`;
  return `<!doctype html>
<html itemscope itemtype="http://schema.org/WebPage" lang="en" class="no-js">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<meta name="generator" content="Hugo 0.145.0">
<link rel="canonical" type="text/html" href="${url}">
<meta name="robots" content="index, follow">
<link rel="shortcut icon" href="/favicons/favicon.ico">
<title>${escapeHtml(node.title)} | ${brand.name}</title>
<meta name="description" content="${escapeAttr(description)}">
<meta property="og:url" content="${url}">
<meta property="og:site_name" content="${brand.name}">
<meta property="og:title" content="${escapeAttr(node.title)}">
<meta property="og:description" content="${escapeAttr(description)}">
<meta property="og:locale" content="en">
<meta property="og:type" content="article">
<link rel="preload" href="/scss/main.min.css" as="style">
<link href="/scss/main.min.css" rel="stylesheet">
<style>.cookie-banner{padding:1rem;background:#222;color:#fff}</style>
<script async src="/js/analytics.js"></script>
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} gtag('consent', 'default', { analytics_storage: 'denied' });</script>
</head>
<body class="td-page td-documentation">
${renderNavbar(node, prefix)}
<div class="container-fluid td-outer">
<div class="td-main">
<div class="row flex-xl-nowrap">
${renderSidebar(node, roots, prefix)}
<aside class="d-none d-xl-block col-xl-2 td-sidebar-toc d-print-none">
${renderPageMeta(node)}
${renderToc(content.toc)}
</aside>
<main class="col-12 col-md-9 col-xl-8 ps-md-5" role="main">
${renderBreadcrumbs(node, prefix)}
<div class="td-content">
${archived}<h1>${escapeHtml(node.title)}</h1>
${lead}<header class="article-meta"></header>
${mirror}${content.html}
${renderSectionIndex(node, prefix)}
${FEEDBACK}
${lastmod}
</div>
</main>
</div>
</div>
${renderFooter(node.doc.project)}
</div>
${COOKIE_BANNER}
<script src="/js/main.min.js" integrity="sha384-placeholder" crossorigin="anonymous"></script>
<noscript>Search needs JavaScript.</noscript>
</body>
</html>
`;
}

function renderHome(rootLinks: { label: string; href: string }[]): string {
  const items = rootLinks
    .map((l) => `<li><a href="${l.href}">${escapeHtml(l.label)}</a></li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CNCF project documentation</title>
<link rel="canonical" href="${DOCS_SITE_ORIGIN}/">
</head>
<body>
<main>
<h1>CNCF project documentation</h1>
<p>Local copies of the documentation of CNCF projects.</p>
<ul>
${items}
</ul>
</main>
</body>
</html>
`;
}

const NOT_FOUND_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>404 Page not found</title></head>
<body><main><h1>Not found</h1><p>Oops! This page doesn't exist. Try going back to the <a href="/">home page</a>.</p></main></body></html>
`;

// A 1×1 transparent PNG: images referenced by the docs exist but carry no content.
const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const PLACEHOLDER_SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><title>placeholder</title></svg>\n',
);

const HTML_TYPE = 'text/html; charset=utf-8';

// ---------------------------------------------------------------------------------------------
// Site assembly

/**
 * Renders the fixture docs into a static site shaped like a Hugo/Docsy build. Deterministic: the
 * same options give byte-identical files.
 */
export function buildDocsSite(options: BuildDocsSiteOptions = {}): DocsSite {
  const projects = options.projects ?? ['etcd', 'prometheus'];
  const versions = options.versions ?? true;
  const copies = options.copies ?? 0;
  const fixturesDir = options.fixturesDir ?? defaultFixturesDir();
  if (!Number.isInteger(copies) || copies < 0) throw new Error('copies must be an integer ≥ 0');

  const trees: { nodes: PageNode[]; roots: PageNode[] }[] = [];
  for (const project of projects) {
    const docs = readSourceDocs(fixturesDir, project);
    const nodes = makeNodes(docs, undefined);
    if (project === 'etcd' && versions) {
      const older = makeNodes(
        docs.filter((d) => V35_PAGES.includes(d.rel)),
        'v3.5',
      );
      // The versions page lists both versions, so both trees hang under /docs/.
      const root = nodes.find((n) => n.path === '/docs/');
      const v35Root = older.find((n) => n.path === '/docs/v3.5/');
      if (root && v35Root) {
        v35Root.parent = root;
        root.children.push(v35Root);
        root.children.sort(compareNodes);
      }
      nodes.push(...older);
    }
    trees.push({ nodes, roots: nodes.filter((n) => n.parent === undefined).sort(compareNodes) });
  }

  const pages: SitePage[] = [];
  const files: DocsSite['files'] = new Map();
  const sitemap: { loc: string; lastmod: Date }[] = [];
  const images = new Set<string>();
  const homeLinks: { label: string; href: string }[] = [];
  const disallowed: string[] = [];
  const redirects = new Map<string, string>();

  for (let copy = 0; copy <= copies; copy++) {
    const prefix = copy === 0 ? '' : `/copy-${copy}`;
    for (const { nodes, roots } of trees) {
      const bySource = new Map<string, PageNode>();
      for (const n of nodes) {
        // v3.5 pages resolve links among themselves; v3.6 pages among the v3.6 ones.
        if (n.version !== 'v3.5') bySource.set(`${n.doc.project}/${n.doc.rel}`, n);
      }
      const v35BySource = new Map(bySource);
      for (const n of nodes)
        if (n.version === 'v3.5') v35BySource.set(`${n.doc.project}/${n.doc.rel}`, n);
      for (const node of nodes) {
        const lookup = node.version === 'v3.5' ? v35BySource : bySource;
        const markdown = expandShortcodes(node.doc.body, node, (target) =>
          inCopy(prefix, resolveRelref(target, node, lookup)),
        );
        const content = renderMarkdown(markdown, (href, kind) =>
          rewriteHref(href, kind, { node, bySource: lookup, prefix }),
        );
        for (const src of content.images)
          if (src.startsWith('/')) images.add(src.split(/[?#]/)[0]!);
        if (node.doc.rel === 'v3.6/op-guide/security.md') {
          content.html += `<h2 id="further-reading">Further reading</h2>\n<p>The CNCF <a href="${WHITEPAPER_PATH}">Software Supply Chain Best Practices</a> whitepaper (PDF) covers securing the build and release of software like etcd.</p>\n`;
        }
        const sitePath = inCopy(prefix, node.path);
        const html = renderPage({ node, roots, prefix, copy, content });
        pages.push({
          path: sitePath,
          source: node.doc.source,
          title: node.title,
          html,
          project: node.doc.project,
          markdown,
          breadcrumbs: ancestors(node).map((n) => n.label),
          copy,
        });
        files.set(sitePath, {
          body: Buffer.from(html),
          contentType: HTML_TYPE,
          lastModified: node.lastModified,
        });
        sitemap.push({ loc: `${DOCS_SITE_ORIGIN}${sitePath}`, lastmod: node.lastModified });
      }
      const project = nodes[0]?.doc.project;
      if (project === 'etcd') {
        homeLinks.push({
          label: `etcd docs${copy ? ` (replica ${copy})` : ''}`,
          href: `${prefix}/docs/`,
        });
        disallowed.push(prefix + DISALLOWED_SECTION);
      } else if (project === 'prometheus') {
        const first = roots[0]?.children[0]?.path ?? roots[0]?.path ?? '/prometheus/docs/';
        redirects.set(inCopy(prefix, '/prometheus/docs/'), inCopy(prefix, first));
        homeLinks.push({
          label: `Prometheus docs${copy ? ` (replica ${copy})` : ''}`,
          href: inCopy(prefix, first),
        });
      }
    }
  }

  homeLinks.push({ label: 'Software Supply Chain Best Practices (PDF)', href: WHITEPAPER_PATH });
  files.set('/', { body: Buffer.from(renderHome(homeLinks)), contentType: HTML_TYPE });
  sitemap.unshift({ loc: `${DOCS_SITE_ORIGIN}/`, lastmod: new Date(Date.UTC(2025, 11, 1)) });

  for (const src of images) {
    if (files.has(src)) continue;
    if (src.endsWith('.svg'))
      files.set(src, { body: PLACEHOLDER_SVG, contentType: 'image/svg+xml' });
    else files.set(src, { body: PIXEL_PNG, contentType: 'image/png' });
  }
  files.set(WHITEPAPER_PATH, {
    body: readFileSync(path.join(fixturesDir, WHITEPAPER_FILE)),
    contentType: 'application/pdf',
  });
  files.set('/scss/main.min.css', {
    body: Buffer.from('body{font-family:sans-serif}.td-sidebar{font-size:.9rem}\n'),
    contentType: 'text/css; charset=utf-8',
  });
  files.set('/js/main.min.js', {
    body: Buffer.from('document.documentElement.classList.remove("no-js");\n'),
    contentType: 'text/javascript; charset=utf-8',
  });

  // A specific group for another agent comes first, so a parser that takes the first group it
  // sees instead of the `*` one gets it wrong.
  const robots = [
    'User-agent: BadBot',
    'Disallow: /',
    '',
    'User-agent: *',
    ...disallowed.map((p) => `Disallow: ${p}`),
    '',
    `Sitemap: ${DOCS_SITE_ORIGIN}/sitemap.xml`,
    '',
  ].join('\n');
  files.set('/robots.txt', { body: Buffer.from(robots), contentType: 'text/plain; charset=utf-8' });

  const urls = sitemap
    .map(
      (u) =>
        `  <url>\n    <loc>${u.loc}</loc>\n    <lastmod>${u.lastmod.toISOString().slice(0, 10)}</lastmod>\n  </url>`,
    )
    .join('\n');
  files.set('/sitemap.xml', {
    body: Buffer.from(
      `<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n${urls}\n</urlset>\n`,
    ),
    contentType: 'application/xml',
  });

  return { pages, files, disallowedPrefix: DISALLOWED_SECTION, redirects };
}

// ---------------------------------------------------------------------------------------------
// Server

/** Options of {@link startDocsSite}. */
export interface StartDocsSiteOptions {
  /** @default buildDocsSite() */
  site?: DocsSite;
  /** Delay before every response, to make concurrency matter. @default 0 */
  latencyMs?: number;
  /** Send `ETag`/`Last-Modified` and answer conditional requests with 304. @default true */
  etag?: boolean;
}

/** A served {@link DocsSite}. */
export interface RunningDocsSite {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  site: DocsSite;
  /** Every request received, in order. Header names are lowercase. */
  requests: { method: string; path: string; headers: Record<string, string | undefined> }[];
  close(): Promise<void>;
}

interface ServedFile {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

/**
 * Serves a {@link DocsSite} on 127.0.0.1 with a random port: GET and HEAD, a 301 to the
 * trailing-slash URL of a directory, the site's 302 redirects, `index.html` aliases, a 404 page,
 * and (unless `etag` is
 * false) `ETag`/`Last-Modified` with 304 answers to `If-None-Match`/`If-Modified-Since`.
 */
export async function startDocsSite(options: StartDocsSiteOptions = {}): Promise<RunningDocsSite> {
  const site = options.site ?? buildDocsSite();
  const latencyMs = options.latencyMs ?? 0;
  const etagOn = options.etag ?? true;
  const requests: RunningDocsSite['requests'] = [];
  const served = new Map<string, ServedFile>();

  const server = createServer((req, res) => {
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers });
    const respond = (): void => handle(req, res);
    if (latencyMs > 0) setTimeout(respond, latencyMs);
    else respond();
  });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed\n');
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      pathname = '/__bad_request__';
    }
    if (pathname.endsWith('/index.html')) pathname = pathname.slice(0, -'index.html'.length);
    const file = served.get(pathname);
    const redirect = site.redirects?.get(pathname);
    if (file === undefined && redirect !== undefined) {
      res.writeHead(302, { Location: redirect, 'Content-Type': HTML_TYPE });
      res.end(method === 'HEAD' ? undefined : `<a href="${redirect}">Found</a>.\n`);
      return;
    }
    if (file === undefined) {
      if (!pathname.endsWith('/') && served.has(`${pathname}/`)) {
        res.writeHead(301, { Location: `${pathname}/`, 'Content-Type': HTML_TYPE });
        res.end(method === 'HEAD' ? undefined : `<a href="${pathname}/">Moved Permanently</a>.\n`);
        return;
      }
      const body = Buffer.from(NOT_FOUND_HTML);
      res.writeHead(404, { 'Content-Type': HTML_TYPE, 'Content-Length': body.length });
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    const head: Record<string, string | number> = {
      'Content-Type': file.contentType,
      'Content-Length': file.body.length,
      'Cache-Control': 'public, max-age=0, must-revalidate',
    };
    if (etagOn) {
      head.ETag = file.etag;
      head['Last-Modified'] = file.lastModified.toUTCString();
      if (notModified(req, file)) {
        delete head['Content-Length'];
        delete head['Content-Type'];
        res.writeHead(304, head);
        res.end();
        return;
      }
    }
    res.writeHead(200, head);
    res.end(method === 'HEAD' ? undefined : file.body);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  for (const [p, f] of site.files) {
    const isText = /^(text\/|application\/xml)/.test(f.contentType);
    const body = isText
      ? Buffer.from(f.body.toString('utf8').replaceAll(DOCS_SITE_ORIGIN, baseUrl))
      : f.body;
    served.set(p, {
      body,
      contentType: f.contentType,
      etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"`,
      lastModified: f.lastModified ?? new Date(Date.UTC(2025, 0, 1)),
    });
  }

  return {
    baseUrl,
    site,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function notModified(req: IncomingMessage, file: ServedFile): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // RFC 9110: If-None-Match uses the weak comparison and wins over If-Modified-Since.
    const tags = ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
    return tags.includes('*') || tags.includes(file.etag);
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    return !Number.isNaN(since) && file.lastModified.getTime() <= since;
  }
  return false;
}
