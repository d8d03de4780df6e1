// A site that misbehaves in every way a crawler meets in the wild and real docs never show on
// demand: rate limits, 503 storms, slow headers, redirect loops, truncated bodies, lying content
// types, huge pages, invalid UTF-8, malformed HTML and gone pages. Synthetic on purpose: these
// are the cases real data cannot provoke.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of {@link startFaultServer}. */
export interface FaultServerOptions {
  /** How many hits of `/429` get a 429 before it answers 200. @default 2 */
  rateLimitHits?: number;
  /** Seconds sent in `Retry-After` by `/429`. @default 1 */
  retryAfterSeconds?: number;
  /** How long `/slow` waits before sending its headers. @default 1500 */
  slowMs?: number;
  /** Size of the body streamed by `/huge`. @default 16 MiB */
  hugeBytes?: number;
}

/** A running fault server. */
export interface FaultServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  /** Requests received per path (query string excluded). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** Every misbehaving route, with what it does; the index page links all of them. */
export const FAULT_ROUTES = {
  '/429': '429 with Retry-After for the first hits, then 200',
  '/503-storm': 'always 503',
  '/slow': 'headers only after a delay',
  '/loop-a': 'redirects to /loop-b, which redirects back',
  '/truncated': 'Content-Length larger than the body, then the socket is destroyed',
  '/wrong-type': 'an HTML page served as application/octet-stream',
  '/wrong-type.md': 'a markdown document served as text/html',
  '/huge': 'a page of many megabytes, streamed without Content-Length',
  '/invalid-utf8': 'HTML declared UTF-8 with invalid byte sequences',
  '/malformed': 'unclosed tags and stray end tags around real content',
  '/gone': '410 Gone',
} as const;

const HTML = 'text/html; charset=utf-8';

const page = (title: string, body: string): string =>
  `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<main>\n<h1>${title}</h1>\n${body}\n</main>\n</body>\n</html>\n`;

const INDEX_HTML = page(
  'Fault injection index',
  `<p>Every route below misbehaves in one way.</p>\n<ul>\n${Object.entries(FAULT_ROUTES)
    .map(([path, what]) => `<li><a href="${path}">${path}</a>: ${what}</li>`)
    .join('\n')}\n</ul>`,
);

/** The malformed page: the content a tolerant parser should still find is listed in comments. */
export const MALFORMED_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Malformed but readable</title>
<body>
<div class="wrapper"><div class="content">
<h1>Malformed but readable
<p>This paragraph is never closed.
<p>Nor is this one, which holds <b>bold <i>and italic</b> text</i> that overlaps.
</div></div></div></div>
<ul><li>first item<li>second item<li>third item</ul>
<table><tr><td>cell one<td>cell two<tr><td>cell three<td>cell four</table>
</span></section>
<pre><code class="language-sh">echo "still code"
</code></pre>
<p>Closing words &amp; an unterminated entity &copy
<div><p>Last paragraph
`;

/** A body declared UTF-8 that holds a stray continuation byte, an overlong form and 0xFF. */
export const INVALID_UTF8_BODY = Buffer.concat([
  Buffer.from(
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Invalid UTF-8</title></head>\n<body><main><h1>Invalid UTF-8</h1>\n<p>Before the bad bytes: caf\u00e9. Bad: ',
  ),
  Buffer.from([0x80, 0x20, 0xc0, 0xaf, 0x20, 0xff, 0x20, 0xe2, 0x82]),
  Buffer.from(' after the bad bytes.</p>\n</main></body></html>\n'),
]);

const WRONG_TYPE_HTML = page(
  'HTML served as octet-stream',
  '<p>This page is HTML, but the server says it is <code>application/octet-stream</code>.</p>',
);

const WRONG_TYPE_MARKDOWN = `# Markdown served as HTML

This document is **markdown**, but the server says it is \`text/html\`.

- one
- two
`;

/**
 * Starts the fault server on 127.0.0.1 with a random port. `/` links every route of
 * {@link FAULT_ROUTES}, so a crawl from the root meets all of them.
 */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const rateLimitHits = options.rateLimitHits ?? 2;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const slowMs = options.slowMs ?? 1500;
  const hugeBytes = options.hugeBytes ?? 16 * 1024 * 1024;
  const hits = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer): void => {
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': buffer.length });
    res.end(buffer);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const count = (hits.get(path) ?? 0) + 1;
    hits.set(path, count);
    switch (path) {
      case '/':
        send(res, 200, HTML, INDEX_HTML);
        break;
      case '/429':
        if (count <= rateLimitHits) {
          res.writeHead(429, {
            'Content-Type': 'text/plain; charset=utf-8',
            'Retry-After': String(retryAfter),
          });
          res.end('Too many requests\n');
          return;
        }
        send(
          res,
          200,
          HTML,
          page('Rate limit lifted', `<p>Served after ${count - 1} refusals.</p>`),
        );
        break;
      case '/503-storm':
        send(res, 503, 'text/plain; charset=utf-8', 'Service unavailable\n');
        break;
      case '/slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) send(res, 200, HTML, page('Slow page', '<p>Worth the wait.</p>'));
        }, slowMs);
        timers.add(timer);
        return;
      }
      case '/loop-a':
      case '/loop-b':
        res.writeHead(302, { Location: path === '/loop-a' ? '/loop-b' : '/loop-a' });
        res.end();
        return;
      case '/truncated': {
        const start = page('Truncated page', `<p>${'This body stops short. '.repeat(20)}`);
        res.writeHead(200, { 'Content-Type': HTML, 'Content-Length': start.length * 4 });
        res.write(start, () => res.socket?.destroy());
        return;
      }
      case '/wrong-type':
        send(res, 200, 'application/octet-stream', WRONG_TYPE_HTML);
        break;
      case '/wrong-type.md':
        send(res, 200, HTML, WRONG_TYPE_MARKDOWN);
        break;
      case '/huge':
        streamHuge(res, hugeBytes);
        break;
      case '/invalid-utf8':
        send(res, 200, HTML, INVALID_UTF8_BODY);
        break;
      case '/malformed':
        send(res, 200, HTML, MALFORMED_HTML);
        break;
      case '/gone':
        send(res, 410, HTML, page('Gone', '<p>This page was removed.</p>'));
        break;
      default:
        send(res, 404, HTML, page('Not found', '<p>No such fault.</p>'));
        break;
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Streams `total` bytes of valid HTML in chunks, honouring backpressure and client aborts. */
function streamHuge(res: ServerResponse, total: number): void {
  res.writeHead(200, { 'Content-Type': HTML });
  const head =
    '<!doctype html>\n<html lang="en"><head><title>Huge page</title></head><body><main>\n';
  const tail = '</main></body></html>\n';
  const paragraph = `<p>${'Lorem ipsum dolor sit amet, a paragraph repeated to make a huge page. '.repeat(14)}</p>\n`;
  const chunk = Buffer.from(paragraph.repeat(Math.max(1, Math.floor(65_536 / paragraph.length))));
  let sent = 0;
  const pump = (): void => {
    if (sent === 0) {
      res.write(head);
      sent += head.length;
    }
    while (sent < total - tail.length) {
      if (res.destroyed) return;
      const piece = chunk.subarray(0, Math.min(chunk.length, total - tail.length - sent));
      sent += piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end(tail);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}
