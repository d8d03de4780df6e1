import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { cleanAsciidoc } from './asciidoc.js';
import { fileNameOf, jsonToMarkdown, yamlToMarkdown } from './data.js';
import { htmlToMarkdown } from './html.js';
import type { JsonValue } from './json-value.js';
import { cleanMarkdown } from './markdown.js';
import {
  charsetOf,
  decodeText,
  looksBinary,
  looksLikeHtml,
  looksLikePdf,
  mediaTypeOf,
} from './media-type.js';
import { pdfToText } from './pdf.js';
import { cleanRst } from './rst.js';

/** What a body turned out to be. */
export type ContentKind =
  | 'html'
  | 'markdown'
  | 'mdx'
  | 'text'
  | 'pdf'
  | 'json'
  | 'yaml'
  | 'rst'
  | 'asciidoc';

/** A fetched body to extract. */
export interface ExtractInput {
  body: Uint8Array;
  /** The response's `Content-Type` header as sent (parameters allowed, `''` when absent). */
  contentType: string;
  /** The URL the body came from (after redirects): links resolve against it. */
  url: string;
}

/** The content of one fetched body as markdown, with what the page says about itself. */
export interface ExtractedContent {
  kind: ContentKind;
  /** The media type the content was read as: the header's, or the sniffed one when the header was wrong or generic. */
  mediaType: string;
  title: string;
  /** Clean markdown (page text for PDFs, pages separated by a blank line); ends with a newline unless empty. */
  markdown: string;
  /** BCP 47 tag the document declares, or `null`. */
  language: string | null;
  /** `rel=canonical` of an HTML page, absolute, or `null`. */
  canonicalUrl: string | null;
  /** Absolute `http(s)` links for crawling, without fragment, deduplicated, in document order. */
  links: string[];
  /**
   * Extras by kind: `breadcrumbs` and `description` (HTML), `frontMatter` (markdown),
   * `pageCount` and `pageStarts` (PDF), `charset`, and `declaredContentType` when sniffing
   * overrode the header.
   */
  metadata: Record<string, JsonValue>;
  /** Problems that did not stop extraction: `invalid-utf8`, `invalid-json: …`, `pdf-no-text`, … */
  warnings: string[];
  /** `<meta name=robots>` of an HTML page; both `false` for other kinds. */
  robots: { noindex: boolean; nofollow: boolean };
}

const ExtractInputSchema = z.object({
  body: z.instanceof(Uint8Array),
  contentType: z.string(),
  url: z.string().min(1),
});

const BY_MEDIA_TYPE: Record<string, ContentKind> = {
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/mdx': 'mdx',
  'text/x-mdx': 'mdx',
  'text/x-rst': 'rst',
  'text/prs.fallenstein.rst': 'rst',
  'text/asciidoc': 'asciidoc',
  'text/x-asciidoc': 'asciidoc',
  'application/json': 'json',
  'text/json': 'json',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/x-yaml': 'yaml',
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
};

const BY_EXTENSION: Record<string, ContentKind> = {
  md: 'markdown',
  markdown: 'markdown',
  mdown: 'markdown',
  mkd: 'markdown',
  mdx: 'mdx',
  rst: 'rst',
  rest: 'rst',
  adoc: 'asciidoc',
  asciidoc: 'asciidoc',
  asc: 'asciidoc',
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  txt: 'text',
  text: 'text',
  pdf: 'pdf',
};

/** Headers that say nothing about the content: the URL and the bytes decide. */
const GENERIC_TYPES = new Set([
  '',
  'text/plain',
  'application/octet-stream',
  'binary/octet-stream',
  'application/unknown',
]);

const MEDIA_TYPE_OF_KIND: Record<ContentKind, string> = {
  html: 'text/html',
  markdown: 'text/markdown',
  mdx: 'text/mdx',
  text: 'text/plain',
  pdf: 'application/pdf',
  json: 'application/json',
  yaml: 'application/yaml',
  rst: 'text/x-rst',
  asciidoc: 'text/asciidoc',
};

/**
 * Decides what a body is: the header's media type, corrected by the bytes (`%PDF-`, an HTML
 * doctype or root tag) and, when the header is generic (`text/plain`, `octet-stream`, none),
 * by the URL's extension. Returns `null` for binary types this package does not read.
 */
export function contentKindOf(input: {
  body: Uint8Array;
  mediaType: string;
  url: string;
}): ContentKind | null {
  const { body, mediaType, url } = input;
  if (looksLikePdf(body)) return 'pdf';
  const extension = extensionOf(url);
  const declared =
    BY_MEDIA_TYPE[mediaType] ??
    (mediaType.endsWith('+json') ? 'json' : mediaType.endsWith('+yaml') ? 'yaml' : undefined);
  if (declared !== undefined && !GENERIC_TYPES.has(mediaType)) {
    // An HTML error page served under the document's type is still an HTML page.
    if (declared !== 'html' && looksLikeHtml(body)) return 'html';
    if (declared === 'markdown' && extension === 'mdx') return 'mdx';
    return declared;
  }
  if (GENERIC_TYPES.has(mediaType)) {
    if (looksLikeHtml(body)) return 'html';
    const byExtension = BY_EXTENSION[extension];
    if (byExtension !== undefined) return byExtension;
    return looksBinary(body) ? null : 'text';
  }
  if (mediaType.startsWith('text/')) return looksLikeHtml(body) ? 'html' : 'text';
  return null;
}

function extensionOf(url: string): string {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    pathname = url.split(/[?#]/)[0] ?? url;
  }
  const name = pathname.split('/').pop() ?? '';
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/**
 * Extracts one fetched body as markdown: HTML pages (main content, chrome removed), markdown
 * and MDX (front matter, Hugo shortcodes, admonitions), reStructuredText, AsciiDoc, JSON and
 * YAML (as code blocks), plain text, and PDFs (text per page). Text is decoded from the
 * header's charset, a BOM or `<meta charset>`, UTF-8 by default; invalid bytes never fail.
 *
 * @throws {ScraperError} `unsupported-content-type` for images, archives and other binary
 * types; `extract-failed` for a body that claims to be a PDF and is not readable;
 * `invalid-options` for an input that is not `{ body: Uint8Array, contentType, url }`.
 */
export async function extractContent(input: ExtractInput): Promise<ExtractedContent> {
  const parsed = ExtractInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new ScraperError(
      'invalid-options',
      `extractContent needs { body: Uint8Array, contentType: string, url: string }: ${parsed.error.issues[0]?.message ?? 'invalid input'}.`,
      { cause: parsed.error },
    );
  }
  const { body, contentType, url } = input;
  const declaredType = mediaTypeOf(contentType);
  const kind = contentKindOf({ body, mediaType: declaredType, url });
  if (kind === null) {
    throw new ScraperError(
      'unsupported-content-type',
      `Cannot extract text from ${url}: its content type ${declaredType === '' ? '(none)' : declaredType} is not HTML, markdown, text, JSON, YAML or PDF; skip URLs of this type.`,
      { url },
    );
  }
  const mediaType = effectiveMediaType(kind, declaredType);
  const metadata: Record<string, JsonValue> = {};
  if (mediaType !== declaredType) metadata.declaredContentType = declaredType;
  const noRobots = { noindex: false, nofollow: false };

  if (kind === 'pdf') {
    let pdf: Awaited<ReturnType<typeof pdfToText>>;
    try {
      pdf = await pdfToText(body);
    } catch (error) {
      if (error instanceof ScraperError)
        throw new ScraperError(error.code, `${url}: ${error.message}`, { cause: error, url });
      throw error;
    }
    const pageStarts: number[] = [];
    let markdown = '';
    for (const [index, page] of pdf.pages.entries()) {
      if (index > 0) markdown += '\n\n';
      pageStarts.push(markdown.length);
      markdown += page;
    }
    const warnings = pdf.pages.every((page) => page.trim() === '') ? ['pdf-no-text'] : [];
    return {
      kind,
      mediaType,
      title: pdf.title ?? humanFileName(url),
      markdown: markdown.trim() === '' ? '' : `${markdown}\n`,
      language: pdf.language,
      canonicalUrl: null,
      links: [],
      metadata: { ...metadata, pageCount: pdf.pageCount, pageStarts },
      warnings,
      robots: noRobots,
    };
  }

  const decoded = decodeText(body, charsetOf(contentType), kind === 'html');
  metadata.charset = decoded.charset;
  const warnings = [...decoded.warnings];
  const text = decoded.text.replace(/^\uFEFF/, '');
  const base = { kind, mediaType, canonicalUrl: null, robots: noRobots };

  switch (kind) {
    case 'html': {
      const page = htmlToMarkdown(text, { url });
      return {
        ...base,
        title: page.title || fileNameOf(url),
        markdown: page.markdown,
        language: page.language,
        canonicalUrl: page.canonicalUrl,
        links: page.links,
        metadata: { ...metadata, breadcrumbs: page.breadcrumbs, description: page.description },
        warnings,
        robots: page.robots,
      };
    }
    case 'markdown':
    case 'mdx': {
      const cleaned = cleanMarkdown(text, { url, flavour: kind === 'mdx' ? 'mdx' : 'md' });
      const frontMatter = cleaned.frontMatter;
      const description =
        typeof frontMatter.description === 'string' ? frontMatter.description : null;
      const lang = frontMatter.lang ?? frontMatter.language;
      return {
        ...base,
        title: cleaned.title || fileNameOf(url),
        markdown: cleaned.markdown,
        language: typeof lang === 'string' && lang.trim() !== '' ? lang.trim() : null,
        links: cleaned.links,
        metadata: { ...metadata, frontMatter, description },
        warnings: [...warnings, ...cleaned.warnings],
      };
    }
    case 'rst':
    case 'asciidoc': {
      const cleaned = kind === 'rst' ? cleanRst(text, { url }) : cleanAsciidoc(text, { url });
      return {
        ...base,
        title: cleaned.title || fileNameOf(url),
        markdown: cleaned.markdown,
        language: null,
        links: cleaned.links,
        metadata,
        warnings,
      };
    }
    case 'json':
    case 'yaml': {
      const data = kind === 'json' ? jsonToMarkdown(text, url) : yamlToMarkdown(text, url);
      return {
        ...base,
        title: data.title,
        markdown: data.markdown,
        language: null,
        links: [],
        metadata,
        warnings: [...warnings, ...data.warnings],
      };
    }
    default: {
      const plain = text.replace(/\r\n?/g, '\n');
      const firstLine =
        plain
          .split('\n')
          .find((line) => line.trim() !== '')
          ?.trim() ?? '';
      return {
        ...base,
        title: firstLine !== '' && firstLine.length <= 100 ? firstLine : fileNameOf(url),
        markdown: plain.trim() === '' ? '' : plain.endsWith('\n') ? plain : `${plain}\n`,
        language: null,
        links: [],
        metadata,
        warnings,
      };
    }
  }
}

function effectiveMediaType(kind: ContentKind, declared: string): string {
  if (declared !== '' && !GENERIC_TYPES.has(declared)) {
    const declaredKind =
      BY_MEDIA_TYPE[declared] ??
      (declared.endsWith('+json')
        ? 'json'
        : declared.endsWith('+yaml')
          ? 'yaml'
          : declared.startsWith('text/')
            ? 'text'
            : undefined);
    if (declaredKind === kind || (kind === 'mdx' && declaredKind === 'markdown')) return declared;
  }
  if (kind === 'text' && declared === 'text/plain') return declared;
  return MEDIA_TYPE_OF_KIND[kind];
}

/** `…/Software_Supply_Chain_Practices_whitepaper_v2.pdf` → `Software Supply Chain Practices whitepaper v2`. */
function humanFileName(url: string): string {
  return fileNameOf(url)
    .replace(/\.[A-Za-z0-9]{1,5}$/, '')
    .replace(/[_+]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
