import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ckadApiData } from '../../test/fixtures/stackexchange/ckad.js';
import { type RunningDocsSite, startDocsSite } from '../../test/support/docs-site.js';
import { DocumentSchema, type ScrapedDocument } from '../document.js';
import { cncfProjects } from '../landscape/cncf-projects.js';
import { loadLandscape } from '../landscape/parse-landscape.js';
import { planSources } from '../plan/plan-sources.js';
import type { SourcePlan } from '../plan/source-plan.js';
import { type GitHubStandIn, startGitHubStandIn } from '../testing/github-stand-in.js';
import {
  type StackExchangeStandIn,
  startStackExchangeStandIn,
} from '../testing/stackexchange-stand-in.js';
import { scrape } from './scrape.js';

const fixtures = new URL('../../test/fixtures/', import.meta.url);
const fixture = (path: string) => readFile(new URL(path, fixtures), 'utf8');

describe('scrape: the planned sources of etcd and Prometheus', () => {
  let site: RunningDocsSite;
  let github: GitHubStandIn;
  let stackExchange: StackExchangeStandIn;
  let plan: SourcePlan;
  let out: string;

  beforeAll(async () => {
    site = await startDocsSite();
    github = await startGitHubStandIn({
      repos: [
        {
          owner: 'etcd-io',
          repo: 'website',
          licence: 'CC-BY-4.0',
          files: {
            'README.md': '# etcd website\n\nThe source of etcd.io, built with Hugo and Docsy.\n',
            'content/en/docs/v3.6/faq.md': await fixture('docs/etcd/v3.6/faq.md'),
            'content/en/docs/v3.6/install.md': await fixture('docs/etcd/v3.6/install.md'),
            'vendor/github.com/x/y/README.md': '# vendored\n\nNot ours.\n',
          },
        },
        {
          owner: 'prometheus',
          repo: 'docs',
          licence: 'Apache-2.0',
          files: {
            'docs/introduction/overview.md': await fixture(
              'docs/prometheus/introduction/overview.md',
            ),
            'docs/concepts/data_model.md': await fixture('docs/prometheus/concepts/data_model.md'),
          },
        },
      ],
    });
    const data = ckadApiData();
    const questions = data.questions.slice(0, 6).map((q, i) => ({
      ...q,
      tags: [i < 3 ? 'etcd' : 'prometheus'],
    }));
    const ids = new Set(questions.map((q) => q.question_id));
    stackExchange = await startStackExchangeStandIn({
      questions,
      answers: data.answers.filter((a) => ids.has(a.question_id)),
    });

    const landscape = await loadLandscape({
      file: new URL('landscape/landscape.yml', fixtures).pathname,
    });
    plan = planSources(cncfProjects(landscape), {
      projects: ['etcd', 'Prometheus'],
      budget: { maxPages: 200 },
      siteOverrides: {
        etcd: `${site.baseUrl}/docs/`,
        prometheus: `${site.baseUrl}/prometheus/docs/`,
      },
      githubOverrides: { etcd: 'etcd-io/website', prometheus: 'prometheus/docs' },
    });
    // The landscape's PDFs live on the internet; point one at the local copy of a real one.
    const paper = plan.whitepapers[0];
    if (!paper) throw new Error('the landscape plans no PDF for etcd or Prometheus');
    plan = {
      ...plan,
      whitepapers: [{ ...paper, url: `${site.baseUrl}/whitepapers/supply-chain.pdf` }],
    };
    out = await mkdtemp(join(tmpdir(), 'scrape-test-'));
  });
  afterAll(async () => {
    await Promise.all([site.close(), github.close(), stackExchange.close()]);
    await rm(out, { recursive: true, force: true });
  });

  const readAll = async (): Promise<ScrapedDocument[]> => {
    const docs: ScrapedDocument[] = [];
    for (const dir of await readdir(join(out, 'sources'))) {
      const text = await readFile(join(out, 'sources', dir, 'documents.jsonl'), 'utf8').catch(
        () => '',
      );
      for (const line of text.split('\n').filter(Boolean)) {
        docs.push(DocumentSchema.parse(JSON.parse(line)));
      }
    }
    return docs;
  };

  it('plans one unit per site, repository, tag and PDF', () => {
    expect(plan.sites.map((s) => s.projects)).toEqual([['etcd'], ['Prometheus']]);
    expect(plan.github.map((r) => r.key)).toEqual([
      'github:etcd-io/website',
      'github:prometheus/docs',
    ]);
    expect(plan.stackOverflow.flatMap((t) => t.tags).sort()).toEqual(['etcd', 'prometheus']);
  });

  it('runs every unit into its own folder, with provenance on each document', async () => {
    const report = await scrape({
      plan,
      outDir: out,
      github: { baseUrl: github.baseUrl, accessToken: 'ghp_testtoken_not_real' },
      stackExchange: { baseUrl: stackExchange.baseUrl, key: 'se-key-not-real' },
      minQuestionScore: -100,
      crawl: { concurrency: 4, concurrencyPerHost: 4 },
    });
    expect(report.units.map((u) => [u.key, u.status])).toEqual([
      ...plan.sites.map((s) => [s.key, 'complete']),
      ...plan.github.map((r) => [r.key, 'complete']),
      ...plan.stackOverflow.map((t) => [t.key, 'complete']),
      [plan.whitepapers[0]?.key, 'complete'],
    ]);
    const docs = await readAll();
    expect(report.totals.documents).toBe(docs.length);
    const by = (type: string) => docs.filter((d) => d.sourceType === type);
    expect(
      by('github')
        .map((d) => d.metadata.path)
        .sort(),
    ).toEqual([
      'README.md',
      'content/en/docs/v3.6/faq.md',
      'content/en/docs/v3.6/install.md',
      'docs/concepts/data_model.md',
      'docs/introduction/overview.md',
    ]);
    expect(by('github').find((d) => d.url.includes('prometheus/docs'))?.licence).toBe('Apache-2.0');
    expect(by('stackoverflow')).toHaveLength(6);
    expect(by('stackoverflow').every((d) => d.licence?.startsWith('CC-BY-SA'))).toBe(true);
    expect(by('stackoverflow').filter((d) => d.project === 'etcd')).toHaveLength(3);
    expect(by('whitepaper').some((d) => d.contentType === 'application/pdf')).toBe(true);
    const etcdPages = by('docs-site').filter((d) => d.project === 'etcd');
    const promPages = by('docs-site').filter((d) => d.project === 'Prometheus');
    expect(etcdPages.length).toBeGreaterThan(50);
    expect(promPages.length).toBeGreaterThan(50);
    expect(etcdPages.every((d) => new URL(d.url).pathname.startsWith('/docs/'))).toBe(true);
    // Tokens never reach a record or the report.
    const written =
      JSON.stringify(docs) + (await readFile(join(out, 'scrape-report.json'), 'utf8'));
    expect(written).not.toContain('ghp_testtoken_not_real');
    expect(written).not.toContain('se-key-not-real');
    expect(JSON.parse(await readFile(join(out, 'plan.json'), 'utf8')).github).toHaveLength(2);
  });

  it('a second run reads nothing twice', async () => {
    const before = await readAll();
    const ghRequests = github.requests.length;
    const seRequests = stackExchange.requests.length;
    const report = await scrape({
      plan,
      outDir: out,
      github: { baseUrl: github.baseUrl },
      stackExchange: { baseUrl: stackExchange.baseUrl },
    });
    expect(
      report.units.filter((u) => u.kind !== 'site').every((u) => u.status === 'up-to-date'),
    ).toBe(true);
    expect(github.requests.length).toBe(ghRequests);
    expect(stackExchange.requests.length).toBe(seRequests);
    const after = await readAll();
    expect(after.map((d) => d.id).sort()).toEqual(before.map((d) => d.id).sort());
  });
});
