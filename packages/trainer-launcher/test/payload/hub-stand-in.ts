import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One commit the stand-in received: repo, files (path → bytes) and the Authorization header. */
export interface ReceivedCommit {
  repo: string;
  files: Map<string, Buffer>;
  authorization: string | undefined;
}

/** A created repo and its visibility, as the client asked. */
export interface CreatedRepo {
  repo: string;
  visibility: string | undefined;
  authorization: string | undefined;
}

/**
 * A Hugging Face Hub stand-in on 127.0.0.1 for the upload path of Python's `huggingface_hub`
 * (`create_repo`, `upload_folder`, `upload_file`): repo creation, README metadata validation,
 * pre-upload (every file "regular", so contents arrive inline) and the NDJSON commit. Enough to see what a push sends.
 */
export async function startHubStandIn(): Promise<{
  url: string;
  repos: CreatedRepo[];
  commits: ReceivedCommit[];
  close: () => Promise<void>;
}> {
  const repos: CreatedRepo[] = [];
  const commits: ReceivedCommit[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const url = req.url ?? '';
      if (req.method === 'POST' && url === '/api/repos/create') {
        const asked = JSON.parse(body) as {
          name: string;
          organization?: string;
          visibility?: string;
        };
        const repo = asked.organization ? `${asked.organization}/${asked.name}` : asked.name;
        repos.push({
          repo,
          visibility: asked.visibility,
          authorization: req.headers.authorization,
        });
        send(200, { url: `${base}/${repo}`, name: repo });
        return;
      }
      if (req.method === 'POST' && url === '/api/validate-yaml') {
        // The client checks a README's YAML metadata before committing it.
        send(200, { errors: [], warnings: [] });
        return;
      }
      const preupload = /^\/api\/models\/(.+)\/preupload\/[^/]+$/.exec(url);
      if (req.method === 'POST' && preupload) {
        const { files } = JSON.parse(body) as { files: { path: string }[] };
        send(200, {
          files: files.map((f) => ({ path: f.path, uploadMode: 'regular', shouldIgnore: false })),
        });
        return;
      }
      const commit = /^\/api\/models\/(.+)\/commit\/[^/]+$/.exec(url);
      if (req.method === 'POST' && commit?.[1]) {
        const files = new Map<string, Buffer>();
        for (const line of body.split('\n')) {
          if (!line.trim()) continue;
          const item = JSON.parse(line) as {
            key: string;
            value: { path?: string; content?: string };
          };
          if (item.key === 'file' && item.value.path) {
            files.set(item.value.path, Buffer.from(item.value.content ?? '', 'base64'));
          }
        }
        commits.push({ repo: commit[1], files, authorization: req.headers.authorization });
        const oid = 'a'.repeat(40);
        send(200, {
          commitOid: oid,
          commitUrl: `${base}/${commit[1]}/commit/${oid}`,
          success: true,
        });
        return;
      }
      send(404, { error: `the stand-in does not serve ${req.method} ${url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    repos,
    commits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
