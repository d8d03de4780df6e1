import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a stand-in received, as it arrived. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  /** Lower-cased header names; repeated headers joined with `, `. */
  headers: Record<string, string>;
}

/** A running stand-in server. */
export interface RunningStandIn {
  /** `http://127.0.0.1:{port}`. */
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a `node:http` server on 127.0.0.1 with a free port that records every request and
 * hands it to `handle`. A handler that throws answers 500 with the message, so a bug in a
 * stand-in shows up in the test instead of hanging it.
 */
export async function startHttpStandIn(
  handle: (request: IncomingMessage, response: ServerResponse, url: URL) => void | Promise<void>,
): Promise<RunningStandIn> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers });
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    Promise.resolve()
      .then(() => handle(request, response, url))
      .catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        }
        response.end(`stand-in error: ${error instanceof Error ? error.message : String(error)}`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
