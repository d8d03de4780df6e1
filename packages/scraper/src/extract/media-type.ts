import { TextDecoder } from 'node:util';

// Media types, character sets and sniffing of fetched bodies.

/**
 * The media type of a `Content-Type` header: lowercase, parameters dropped
 * (`Text/HTML; charset=UTF-8` → `text/html`). An empty header gives `''`.
 */
export function mediaTypeOf(contentTypeHeader: string): string {
  return (contentTypeHeader.split(';')[0] ?? '').trim().toLowerCase();
}

/** The `charset` parameter of a `Content-Type` header, or `null`. */
export function charsetOf(contentTypeHeader: string): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentTypeHeader);
  return match === null ? null : match[1]!.toLowerCase();
}

/** Text decoded from bytes, with the charset used and what went wrong on the way. */
export interface DecodedText {
  text: string;
  /** The WHATWG name of the encoding used, e.g. `utf-8`, `windows-1252`. */
  charset: string;
  /** `invalid-utf8`, `unknown-charset: x`. */
  warnings: string[];
}

/**
 * Decodes a body the way browsers do: a byte-order mark wins, then the header's charset, then
 * (for HTML) a `<meta charset>` in the first 1024 bytes, else UTF-8. Never throws: invalid
 * UTF-8 becomes U+FFFD and an `invalid-utf8` warning, an unknown charset falls back to UTF-8
 * with a warning.
 */
export function decodeText(
  bytes: Uint8Array,
  headerCharset: string | null,
  html: boolean,
): DecodedText {
  const warnings: string[] = [];
  let label = bomEncoding(bytes) ?? headerCharset ?? (html ? metaCharset(bytes) : null) ?? 'utf-8';
  // HTML pages that claim UTF-16 without a BOM are in fact ASCII-compatible (HTML standard).
  if (html && label.startsWith('utf-16') && bomEncoding(bytes) === null) label = 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    warnings.push(`unknown-charset: ${label}`);
    decoder = new TextDecoder('utf-8', { fatal: true });
  }
  const charset = decoder.encoding;
  // Node's decoder reads windows-1252 as ISO-8859-1, losing the quotes and dashes in 0x80–0x9F.
  if (charset === 'windows-1252') return { text: decodeWindows1252(bytes), charset, warnings };
  try {
    return { text: decoder.decode(bytes), charset, warnings };
  } catch {
    warnings.push(charset === 'utf-8' ? 'invalid-utf8' : `invalid-${charset}`);
    return { text: new TextDecoder(charset).decode(bytes), charset, warnings };
  }
}

// WHATWG's windows-1252 mapping of 0x80–0x9F; the rest of the bytes are their own code points.
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152,
  0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122,
  0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunk = 8192;
  for (let start = 0; start < bytes.length; start += chunk) {
    const codes = Array.from(bytes.subarray(start, start + chunk), (byte) =>
      byte >= 0x80 && byte < 0xa0 ? WINDOWS_1252_HIGH[byte - 0x80]! : byte,
    );
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

function bomEncoding(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return null;
}

/** `<meta charset="x">` or `<meta http-equiv="Content-Type" content="…; charset=x">` in the first 1024 bytes. */
function metaCharset(bytes: Uint8Array): string | null {
  const head = latin1(bytes, 1024);
  const match =
    /<meta[^>]*?\scharset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head) ??
    /<meta[^>]*?content\s*=\s*["'][^"']*charset\s*=\s*([\w.:-]+)/i.exec(head);
  return match === null ? null : match[1]!.toLowerCase();
}

/** The first bytes as Latin-1 text: enough to look for ASCII markers in any encoding. */
export function latin1(bytes: Uint8Array, length: number): string {
  let out = '';
  const end = Math.min(bytes.length, length);
  for (let i = 0; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

/** Whether the body starts like a PDF (`%PDF-` within the first 1024 bytes, as readers allow). */
export function looksLikePdf(bytes: Uint8Array): boolean {
  return latin1(bytes, 1024).includes('%PDF-');
}

/** Whether the body starts like an HTML document: a doctype or `<html>`, `<head>`, `<body>` tag. */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = latin1(bytes, 1024)
    .replace(/^\u00ef\u00bb\u00bf/, '')
    .replace(/^(?:\s|<!--[\s\S]*?-->|<\?xml[^>]*>)*/, '');
  return /^<(?:!doctype\s+html|html|head|body)[\s>]/i.test(head);
}

/**
 * Whether the body is binary: a NUL byte early on (outside UTF-16, which has a BOM), or the
 * magic number of a common image or archive format.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return false;
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return false;
  const end = Math.min(bytes.length, 1024);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true;
  const head = latin1(bytes, 8);
  return (
    head.startsWith('\u0089PNG') ||
    head.startsWith('GIF8') ||
    head.startsWith('\u00ff\u00d8\u00ff') ||
    head.startsWith('PK\u0003\u0004') ||
    head.startsWith('\u001f\u008b')
  );
}
