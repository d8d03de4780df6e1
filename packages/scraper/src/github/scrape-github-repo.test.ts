import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DocumentSchema, type ScrapedDocument } from '../document.js';
import { isScraperError } from '../errors.js';
import { type GitHubStandIn, startGitHubStandIn } from '../testing/github-stand-in.js';
import type { ExtractFn } from './extract-fn.js';
import { createGitHubClient, RATE_LIMIT_MARGIN_MS } from './github-client.js';
import { contentTypeForPath, type GitHubEvent, scrapeGitHubRepo } from './scrape-github-repo.js';

const fixtures = new URL('../../test/fixtures/github/', import.meta.url);
const fixture = (path: string) => readFile(new URL(path, fixtures));
const TOKEN = ['ghp', 'FAKE', 'scrape', 'test', 'token'].join('_');

/**
 * Stands in for the extract module in tests of this file's own logic: front matter `title:` or
 * the first heading as title, the text minus front matter as markdown, absolute links.
 */
const fakeExtract: ExtractFn = async ({ body, contentType }) => {
  if (contentType === 'application/pdf') {
    return {
      title: 'Software Supply Chain Best Practices',
      markdown: '# Software Supply Chain Best Practices\n\nPage 1 text.',
      language: 'en',
      links: [],
      metadata: { pageCount: 1 },
      warnings: [],
    };
  }
  const text = new TextDecoder().decode(body);
  const frontMatter = /^---\n([\s\S]*?)\n---\n/.exec(text);
  const markdown = frontMatter === null ? text : text.slice(frontMatter[0].length);
  const title =
    /^title:\s*(.+)$/m.exec(frontMatter?.[1] ?? '')?.[1] ??
    /^#+\s+(.+)$/m.exec(markdown)?.[1] ??
    '';
  const links = [...markdown.matchAll(/\]\((https?:\/\/[^)\s]+)\)/g)].map((m) => m[1] as string);
  return {
    title,
    markdown,
    language: null,
    links: [...new Set(links)],
    metadata: {},
    warnings: [],
  };
};

async function collect(events: AsyncGenerator<GitHubEvent>): Promise<GitHubEvent[]> {
  const out: GitHubEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const docs = (events: GitHubEvent[]): ScrapedDocument[] =>
  events.flatMap((e) => (e.type === 'file-scraped' ? [e.document] : []));

async function prometheusRepo() {
  return {
    owner: 'prometheus',
    repo: 'docs',
    defaultBranch: 'main',
    licence: 'Apache-2.0',
    files: {
      'README.md': '# Prometheus documentation\n\nThe source of https://prometheus.io/docs.\n',
      'docs/introduction/overview.md': await fixture('prometheus/introduction/overview.md'),
      'docs/introduction/faq.md': await fixture('prometheus/introduction/faq.md'),
      'docs/concepts/data_model.md': await fixture('prometheus/concepts/data_model.md'),
      'docs/images/architecture.png': new Uint8Array([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
      ]),
      'docs/whitepaper.pdf': '%PDF-1.7\n%fake body for the fake extractor\n',
      'vendor/github.com/prometheus/common/README.md': '# common\n',
      'cmd/prometheus/main.go': 'package main\n',
    },
  };
}

async function etcdRepo() {
  const reference = new TextDecoder().decode(await fixture('etcd/dev-guide/api_reference_v3.md'));
  return {
    owner: 'etcd-io',
    repo: 'website',
    licence: 'CC-BY-4.0',
    files: {
      'content/en/docs/v3.6/op-guide/maintenance.md': await fixture('etcd/op-guide/maintenance.md'),
      'content/en/docs/v3.6/dev-guide/api_reference_v3.md': reference,
      // A generated reference well over 256 KiB.
      'content/en/docs/v3.6/api-reference/generated.md': reference.repeat(7),
      'third_party/protobuf/CHANGELOG.md': '# Changes\n',
    },
  };
}

let standIn: GitHubStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

describe('scrapeGitHubRepo', () => {
  it('turns the documentation of a repository into validated documents', async () => {
    standIn = await startGitHubStandIn({ repos: [await prometheusRepo()] });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const fetchedAt = Date.UTC(2025, 10, 25, 9, 30);
    const events = await collect(
      scrapeGitHubRepo({
        client,
        repoUrl: 'https://github.com/prometheus/docs/tree/main/docs',
        project: 'Prometheus',
        extract: fakeExtract,
        now: () => fetchedAt,
      }),
    );

    const skipped = events.flatMap((e) => (e.type === 'file-skipped' ? [[e.path, e.reason]] : []));
    expect(Object.fromEntries(skipped)).toEqual({
      'docs/images/architecture.png': 'binary file (.png); only PDF is read',
      'vendor/github.com/prometheus/common/README.md':
        'inside a vendored dependency directory (vendor/)',
    });
    const documents = docs(events);
    expect(documents.map((d) => d.metadata.path).sort()).toEqual([
      'README.md',
      'docs/concepts/data_model.md',
      'docs/introduction/faq.md',
      'docs/introduction/overview.md',
      'docs/whitepaper.pdf',
    ]);
    for (const document of documents) expect(DocumentSchema.parse(document)).toEqual(document);

    const overview = documents.find((d) => d.metadata.path === 'docs/introduction/overview.md');
    const source = new TextDecoder().decode(await fixture('prometheus/introduction/overview.md'));
    expect(overview).toMatchObject({
      url: 'https://github.com/prometheus/docs/blob/main/docs/introduction/overview.md',
      canonicalUrl: 'https://github.com/prometheus/docs/blob/main/docs/introduction/overview.md',
      project: 'Prometheus',
      sourceType: 'github',
      title: 'Overview',
      contentType: 'text/markdown',
      language: 'en',
      licence: 'Apache-2.0',
      attribution: 'prometheus/docs contributors, https://github.com/prometheus/docs',
      fetchedAt: '2025-11-25T09:30:00.000Z',
      httpStatus: 200,
      bytes: Buffer.byteLength(source),
      metadata: { repo: 'prometheus/docs', path: 'docs/introduction/overview.md', ref: 'main' },
    });
    expect(overview?.markdown).toContain('## What is Prometheus?');
    expect(overview?.links).toContain('https://cncf.io/');
    expect(overview?.etag).toMatch(/^W\/"/);
    expect(overview?.metadata.sha).toMatch(/^[0-9a-f]{40}$/);

    const pdf = documents.find((d) => d.metadata.path === 'docs/whitepaper.pdf');
    expect(pdf).toMatchObject({ sourceType: 'whitepaper', contentType: 'application/pdf' });
  });

  it('skips generated references and vendored changelogs, keeps small references', async () => {
    standIn = await startGitHubStandIn({ repos: [await etcdRepo()] });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const events = await collect(
      scrapeGitHubRepo({
        client,
        repoUrl: 'git@github.com:etcd-io/website.git',
        project: 'etcd',
        extract: fakeExtract,
      }),
    );
    const skipped = events.filter((e) => e.type === 'file-skipped');
    expect(skipped).toEqual([
      {
        type: 'file-skipped',
        path: 'content/en/docs/v3.6/api-reference/generated.md',
        reason: expect.stringMatching(/^generated API reference \(3\d\d(\.\d)? KiB > 256 KiB\)$/),
      },
      {
        type: 'file-skipped',
        path: 'third_party/protobuf/CHANGELOG.md',
        reason: 'inside a vendored dependency directory (third_party/)',
      },
    ]);
    const documents = docs(events);
    expect(documents.map((d) => d.title).sort()).toEqual(['API reference', 'Maintenance']);
    expect(documents.every((d) => d.licence === 'CC-BY-4.0')).toBe(true);
    expect(standIn.requests.some((r) => r.url.includes('generated.md'))).toBe(false);
  });

  it('reports a repository that is not on GitHub without a request', async () => {
    standIn = await startGitHubStandIn({ repos: [] });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    for (const repoUrl of [
      'https://gitlab.com/gitlab-org/gitlab',
      'https://opendev.org/openstack/nova',
    ]) {
      const events = await collect(
        scrapeGitHubRepo({ client, repoUrl, project: null, extract: fakeExtract }),
      );
      expect(events).toEqual([
        { type: 'repo-skipped', repoUrl, reason: 'skipped: not a GitHub repository' },
      ]);
    }
    expect(standIn.requests).toHaveLength(0);
  });

  it('reports a repository GitHub does not know as skipped', async () => {
    standIn = await startGitHubStandIn({ repos: [] });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const events = await collect(
      scrapeGitHubRepo({
        client,
        repoUrl: 'https://github.com/cncf/gone',
        project: null,
        extract: fakeExtract,
      }),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'repo-skipped',
      reason: expect.stringContaining('HTTP 404'),
    });
  });

  it('reports a file that fails to extract and goes on with the others', async () => {
    standIn = await startGitHubStandIn({ repos: [await prometheusRepo()] });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const flaky: ExtractFn = async (input) => {
      if (input.url.endsWith('faq.md')) throw new Error('unterminated code fence');
      return fakeExtract(input);
    };
    const events = await collect(
      scrapeGitHubRepo({
        client,
        repoUrl: 'https://github.com/prometheus/docs',
        project: null,
        extract: flaky,
      }),
    );
    expect(events.filter((e) => e.type === 'file-failed')).toEqual([
      {
        type: 'file-failed',
        path: 'docs/introduction/faq.md',
        error: {
          code: 'extract-failed',
          message: expect.stringContaining('unterminated code fence'),
        },
      },
    ]);
    expect(docs(events)).toHaveLength(4);
  });

  it('yields rate-limit waits as events, before the work that follows them', async () => {
    let time = Date.UTC(2025, 10, 25, 10, 0, 0, 250);
    const now = () => time;
    const sleeps: number[] = [];
    standIn = await startGitHubStandIn({
      repos: [await prometheusRepo()],
      rateLimit: { limit: 4, resetInSeconds: 300 },
      now,
    });
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now,
      sleep: async (ms) => {
        sleeps.push(ms);
        time += ms;
      },
    });
    const { reset } = standIn.rateLimitState();
    const events = await collect(
      scrapeGitHubRepo({
        client,
        repoUrl: 'https://github.com/prometheus/docs',
        project: null,
        extract: fakeExtract,
      }),
    );
    const types = events.map((e) => e.type);
    const waitAt = types.indexOf('rate-limit-wait');
    // repo + tree + 2 files fit in the first window; the third file waits.
    expect(types.slice(0, waitAt).filter((t) => t === 'file-scraped')).toHaveLength(2);
    expect(types.slice(waitAt + 1).filter((t) => t === 'file-scraped')).toHaveLength(3);
    const wait = events[waitAt] as Extract<GitHubEvent, { type: 'rate-limit-wait' }>;
    expect(wait.kind).toBe('primary');
    expect(wait.waitMs).toBe(sleeps[0]);
    expect(wait.untilIso).toBe(new Date(reset * 1000 + RATE_LIMIT_MARGIN_MS).toISOString());
    expect(sleeps).toHaveLength(1);
  });

  it('stops the scrape with rate-limited when the wait is too long, keeping what it yielded', async () => {
    const now = () => Date.UTC(2025, 10, 25, 10, 0, 0);
    standIn = await startGitHubStandIn({
      repos: [await prometheusRepo()],
      rateLimit: { limit: 3, resetInSeconds: 3600 },
      now,
    });
    const client = createGitHubClient({
      baseUrl: standIn.baseUrl,
      accessToken: TOKEN,
      now,
      sleep: async () => {
        throw new Error('must not sleep');
      },
      maxWaitMs: 60_000,
    });
    const seen: GitHubEvent[] = [];
    const error = await (async () => {
      for await (const event of scrapeGitHubRepo({
        client,
        repoUrl: 'https://github.com/prometheus/docs',
        project: null,
        extract: fakeExtract,
      })) {
        seen.push(event);
      }
    })().catch((e) => e);
    expect(isScraperError(error, 'rate-limited')).toBe(true);
    expect((error as Error).message).not.toContain(TOKEN);
    expect(docs(seen)).toHaveLength(1);
  });

  it('builds documents with the package extractor', async () => {
    const repo = await prometheusRepo();
    standIn = await startGitHubStandIn({
      repos: [
        {
          ...repo,
          files: { 'docs/introduction/overview.md': repo.files['docs/introduction/overview.md'] },
        },
      ],
    });
    const client = createGitHubClient({ baseUrl: standIn.baseUrl, accessToken: TOKEN });
    const events = await collect(
      scrapeGitHubRepo({
        client,
        repoUrl: 'https://github.com/prometheus/docs',
        project: 'Prometheus',
      }),
    );
    const [document] = docs(events);
    expect(events.map((e) => e.type)).toEqual(['file-scraped']);
    expect(DocumentSchema.parse(document)).toEqual(document);
    expect(document?.title).toBe('Overview');
    expect(document?.markdown).toContain('## What is Prometheus?');
    // Front matter is metadata, not text.
    expect(document?.markdown).not.toMatch(/^---\n/);
    expect(document?.markdown).not.toContain('sort_rank: 1');
    expect(document?.links).toContain('https://cncf.io/');
    expect(document?.metadata).toMatchObject({
      repo: 'prometheus/docs',
      path: 'docs/introduction/overview.md',
    });
  });

  it('names content types after file extensions', () => {
    expect(contentTypeForPath('docs/a.md')).toBe('text/markdown');
    expect(contentTypeForPath('docs/a.MDX')).toBe('text/mdx');
    expect(contentTypeForPath('paper.pdf')).toBe('application/pdf');
    expect(contentTypeForPath('docs/index.rst')).toBe('text/x-rst');
    expect(contentTypeForPath('examples/prometheus.yml')).toBe('application/yaml');
    expect(contentTypeForPath('README')).toBe('text/plain');
  });
});
