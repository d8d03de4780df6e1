import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CncfProject, cncfProjects } from '../landscape/cncf-projects.js';
import { parseLandscape } from '../landscape/parse-landscape.js';
import { parseGitHubRepoUrl } from './github-repo.js';
import { planSources } from './plan-sources.js';
import {
  DEFAULT_BUDGET,
  isInSiteScope,
  parseSourcePlan,
  planKeyToDir,
  type SourcePlan,
  SourcePlanSchema,
} from './source-plan.js';

let projects: CncfProject[];
let full: SourcePlan;
beforeAll(() => {
  const text = readFileSync(
    fileURLToPath(new URL('../../test/fixtures/landscape/landscape.yml', import.meta.url)),
    'utf8',
  );
  projects = cncfProjects(parseLandscape(text));
  full = planSources(projects);
});

function unitsOf(plan: SourcePlan, project: string) {
  const has = (unit: { projects: string[] }) => unit.projects.includes(project);
  return {
    sites: plan.sites.filter(has),
    github: plan.github.filter(has),
    stackOverflow: plan.stackOverflow.filter(has),
    whitepapers: plan.whitepapers.filter(has),
    skipped: plan.skipped.filter((s) => s.project === project),
  };
}

describe('planSources on the real landscape', () => {
  it('plans etcd: its site, repository, tag and audit PDFs', () => {
    const etcd = unitsOf(full, 'etcd');
    expect(etcd.sites).toEqual([
      {
        key: 'site:etcd.io',
        seedUrls: ['https://etcd.io/'],
        scope: { hosts: ['etcd.io'], pathPrefix: '/' },
        projects: ['etcd'],
        language: 'en',
        budget: { maxPages: 500, maxBytes: 50 * 1024 * 1024 },
      },
    ]);
    expect(etcd.github).toEqual([
      {
        key: 'github:etcd-io/etcd',
        owner: 'etcd-io',
        repo: 'etcd',
        url: 'https://github.com/etcd-io/etcd',
        branch: null,
        projects: ['etcd'],
        language: 'en',
        budget: DEFAULT_BUDGET,
      },
    ]);
    expect(etcd.stackOverflow.map((t) => [t.key, t.tags, t.match])).toEqual([
      ['so:etcd', ['etcd'], 'any'],
    ]);
    expect(etcd.whitepapers.map((w) => [w.kind, w.date, w.url])).toEqual([
      [
        'audit',
        '2022-03-11',
        'https://raw.githubusercontent.com/etcd-io/etcd/main/security/FUZZING_AUDIT_2022.PDF',
      ],
      [
        'audit',
        '2020-08-05',
        'https://raw.githubusercontent.com/etcd-io/etcd/master/security/SECURITY_AUDIT.pdf',
      ],
    ]);
    expect(etcd.whitepapers[1]?.title).toBe('Trail of Bits security audit of etcd (2020-08-05)');
    expect(etcd.skipped).toEqual([]);
    expect(full.projects.find((p) => p.name === 'etcd')?.keys).toEqual([
      'site:etcd.io',
      'github:etcd-io/etcd',
      'so:etcd',
      'pdf:github.com/etcd-io/etcd/blob/main/security/FUZZING_AUDIT_2022.PDF',
      'pdf:github.com/etcd-io/etcd/blob/master/security/SECURITY_AUDIT.pdf',
    ]);
  });

  it('plans Prometheus, keeping PDFs hosted on its own site as they are', () => {
    const prometheus = unitsOf(full, 'Prometheus');
    expect(prometheus.sites.map((s) => s.key)).toEqual(['site:prometheus.io']);
    expect(prometheus.github.map((r) => r.key)).toEqual(['github:prometheus/prometheus']);
    expect(prometheus.stackOverflow.map((t) => t.key)).toEqual(['so:prometheus']);
    expect(prometheus.whitepapers.map((w) => w.url)).toEqual([
      'https://prometheus.io/assets/downloads/2018-06-11--cure53_security_audit.pdf',
      'https://prometheus.io/assets/downloads/2020-07-21--cure53_security_audit_node_exporter.pdf',
    ]);
    expect(prometheus.whitepapers.every((w) => w.url === w.sourceUrl)).toBe(true);
  });

  it('seeds from documentation_url with the seed directory as scope', () => {
    const otel = unitsOf(full, 'OpenTelemetry').sites;
    expect(otel.map((s) => [s.key, s.seedUrls, s.scope])).toEqual([
      [
        'site:opentelemetry.io/docs',
        ['https://opentelemetry.io/docs/'],
        { hosts: ['opentelemetry.io'], pathPrefix: '/docs/' },
      ],
    ]);
    const site = otel[0]!;
    expect(isInSiteScope(site, 'https://opentelemetry.io/docs/concepts/')).toBe(true);
    expect(isInSiteScope(site, 'https://opentelemetry.io/docs')).toBe(true);
    expect(isInSiteScope(site, 'https://opentelemetry.io/blog/2024/')).toBe(false);
    expect(isInSiteScope(site, 'https://example.org/docs/')).toBe(false);
  });

  it('plans a site shared by two projects once, naming both (SPIFFE and SPIRE)', () => {
    const spiffe = full.sites.filter((site) => site.scope.hosts.includes('spiffe.io'));
    expect(spiffe).toHaveLength(1);
    expect(spiffe[0]?.key).toBe('site:spiffe.io');
    expect(spiffe[0]?.projects).toEqual(['SPIFFE', 'SPIRE']);
    expect(spiffe[0]?.seedUrls).toEqual(['https://spiffe.io/', 'https://spiffe.io/spire/']);
    // Every other site key is unique too.
    expect(new Set(full.sites.map((s) => s.key)).size).toBe(full.sites.length);
  });

  it('plans one site for projects with the same homepage', () => {
    const etcd = projects.find((p) => p.name === 'etcd')!;
    const twin: CncfProject = { ...etcd, name: 'etcd operator', slug: 'etcd-operator' };
    const plan = planSources([etcd, twin]);
    expect(plan.sites.map((s) => [s.key, s.projects])).toEqual([
      ['site:etcd.io', ['etcd', 'etcd operator']],
    ]);
    expect(plan.github.map((r) => [r.key, r.projects])).toEqual([
      ['github:etcd-io/etcd', ['etcd', 'etcd operator']],
    ]);
  });

  it('skips code-hosting homepages, missing repositories and organisation pages with reasons', () => {
    expect(unitsOf(full, 'Lima').skipped).toEqual([
      {
        project: 'Lima',
        source: 'docs-site',
        reason: expect.stringContaining('https://github.com/lima-vm/lima is a code-hosting page'),
      },
    ]);
    expect(unitsOf(full, 'Lima').github.map((r) => r.key)).toEqual(['github:lima-vm/lima']);
    expect(unitsOf(full, 'Curiefense').skipped).toEqual([
      {
        project: 'Curiefense',
        source: 'github',
        reason: 'the landscape lists no repository for this project',
      },
    ]);
    expect(unitsOf(full, 'CoHDI').skipped.find((s) => s.source === 'github')?.reason).toContain(
      'organisation or user page',
    );
    expect(unitsOf(full, 'Carvel').skipped).toEqual([
      expect.objectContaining({ source: 'stackoverflow' }),
    ]);
    expect(
      unitsOf(full, 'Kubernetes').skipped.filter((s) => s.source === 'whitepaper'),
    ).toHaveLength(2);
  });

  it('skips a non-GitHub repository with a reason instead of throwing', () => {
    const plan = planSources(projects, {
      projects: ['etcd'],
      githubOverrides: {
        etcd: ['https://opendev.org/zuul/zuul', 'https://github.com/etcd-io/website'],
      },
    });
    expect(plan.github.map((r) => r.key)).toEqual(['github:etcd-io/website']);
    expect(plan.skipped).toEqual([
      {
        project: 'etcd',
        source: 'github',
        reason:
          'https://opendev.org/zuul/zuul is not a GitHub repository (host opendev.org); only github.com repositories are read',
      },
    ]);
  });

  it('reads http:// GitHub URLs (Drasi) and additional repositories (NATS)', () => {
    expect(unitsOf(full, 'Drasi').github.map((r) => r.url)).toEqual([
      'https://github.com/drasi-project/drasi-platform',
    ]);
    const nats = unitsOf(full, 'NATS').github;
    expect(nats).toHaveLength(18);
    expect(nats.map((r) => r.key)).toContain('github:nats-io/nats.go');
    expect(unitsOf(full, 'CloudNativePG').github[0]?.branch).toBe('main');
  });

  it('splits an "or" Stack Overflow link into separate tags', () => {
    expect(unitsOf(full, 'Argo').stackOverflow.map((t) => t.key)).toEqual([
      'so:argo',
      'so:argoproj',
    ]);
    expect(full.stackOverflow).toHaveLength(32);
  });
});

describe('planSources options', () => {
  it('selects projects by name or slug and reports unknown ones with close matches', () => {
    const plan = planSources(projects, { projects: ['ETCD', 'oauth2-proxy', 'etdc', 'zzzqqq'] });
    expect(plan.projects.map((p) => p.name)).toEqual(['OAuth2 Proxy', 'etcd']);
    expect(plan.issues).toEqual([
      expect.stringMatching(/^unknown project "etdc"; did you mean "etcd"/),
      'unknown project "zzzqqq"; use a CNCF project name or slug from the landscape',
    ]);
  });

  it('filters by maturity', () => {
    const plan = planSources(projects, { maturity: ['graduated'] });
    expect(plan.projects).toHaveLength(38);
    expect(plan.projects.every((p) => p.maturity === 'graduated')).toBe(true);
    expect(plan.github.some((r) => r.projects.includes('Drasi'))).toBe(false);
  });

  it('points a project at a local site with siteOverrides', () => {
    const plan = planSources(projects, {
      projects: ['etcd', 'prometheus'],
      siteOverrides: { etcd: 'http://127.0.0.1:4321/docs/v3.6/', Prometheus: [] },
    });
    expect(plan.sites).toEqual([
      expect.objectContaining({
        key: 'site:127.0.0.1:4321/docs/v3.6',
        seedUrls: ['http://127.0.0.1:4321/docs/v3.6/'],
        scope: { hosts: ['127.0.0.1:4321'], pathPrefix: '/docs/v3.6/' },
        projects: ['etcd'],
      }),
    ]);
    expect(plan.skipped).toEqual([
      {
        project: 'Prometheus',
        source: 'docs-site',
        reason: 'docs site turned off by siteOverrides',
      },
    ]);
  });

  it('replaces repositories with githubOverrides, accepting owner/repo', () => {
    const plan = planSources(projects, {
      projects: ['prometheus'],
      githubOverrides: {
        prometheus: ['prometheus/docs', 'https://github.com/prometheus/alertmanager.git'],
      },
    });
    expect(plan.github.map((r) => [r.key, r.url])).toEqual([
      ['github:prometheus/alertmanager', 'https://github.com/prometheus/alertmanager'],
      ['github:prometheus/docs', 'https://github.com/prometheus/docs'],
    ]);
  });

  it('applies a plan budget and per-project budgets; shared units get the larger one', () => {
    const etcd = projects.find((p) => p.name === 'etcd')!;
    const twin: CncfProject = { ...etcd, name: 'Twin', slug: 'twin' };
    const plan = planSources([etcd, twin], {
      budget: { maxPages: 100 },
      projectBudgets: { twin: { maxPages: 700, maxBytes: 1024 } },
    });
    expect(plan.projects.map((p) => [p.name, p.budget])).toEqual([
      ['etcd', { maxPages: 100, maxBytes: DEFAULT_BUDGET.maxBytes }],
      ['Twin', { maxPages: 700, maxBytes: 1024 }],
    ]);
    expect(plan.sites[0]?.budget).toEqual({ maxPages: 700, maxBytes: DEFAULT_BUDGET.maxBytes });
    expect(plan.sites[0]?.language).toBe('en');
    expect(planSources([etcd], { language: 'ja' }).github[0]?.language).toBe('ja');
  });

  it('reports overrides for unknown projects and bad seed URLs as issues', () => {
    const plan = planSources(projects, {
      projects: ['etcd'],
      siteOverrides: { etdc: ['https://etcd.io/docs/'], etcd: ['not a url'] },
    });
    expect(plan.issues).toEqual([
      expect.stringMatching(/^siteOverrides: unknown project "etdc"; did you mean "etcd"/),
      'siteOverrides: docs seed "not a url" of etcd is not an http(s) URL; fix the URL',
    ]);
    expect(plan.sites).toEqual([]);
  });

  it('throws invalid-options for options of the wrong shape', () => {
    expect(() => planSources(projects, { budget: { maxPages: -1 } })).toThrowError(
      expect.objectContaining({
        code: 'invalid-options',
        message: expect.stringContaining('budget.maxPages'),
      }),
    );
    expect(() => planSources(projects, { maturity: ['done' as never] })).toThrowError(
      expect.objectContaining({ code: 'invalid-options' }),
    );
  });
});

describe('plan serialisation and keys', () => {
  it('round-trips the full plan through JSON', () => {
    const json = JSON.stringify(full);
    expect(parseSourcePlan(json)).toEqual(full);
    expect(SourcePlanSchema.safeParse(full).success).toBe(true);
    expect(() => parseSourcePlan('{"version":2}')).toThrowError(
      expect.objectContaining({ code: 'invalid-record' }),
    );
    expect(() => parseSourcePlan('not json')).toThrowError(
      expect.objectContaining({ code: 'invalid-record' }),
    );
  });

  it('maps every key of the real plan to a distinct, safe directory name', () => {
    const keys = [...full.sites, ...full.github, ...full.stackOverflow, ...full.whitepapers].map(
      (unit) => unit.key,
    );
    const dirs = keys.map(planKeyToDir);
    expect(new Set(dirs).size).toBe(keys.length);
    for (const dir of dirs) {
      expect(dir).toMatch(/^[a-z0-9][a-z0-9._-]*-[0-9a-f]{8}$/);
      expect(dir.length).toBeLessThanOrEqual(89);
    }
    expect(planKeyToDir('github:etcd-io/etcd')).toMatch(/^github-etcd-io-etcd-[0-9a-f]{8}$/);
    expect(planKeyToDir('github:etcd-io/etcd')).toBe(planKeyToDir('github:etcd-io/etcd'));
    // Keys that differ only in characters the readable part drops stay apart.
    expect(planKeyToDir('so:c++')).not.toBe(planKeyToDir('so:c#'));
    expect(planKeyToDir('so:../../etc')).not.toContain('/');
  });
});

describe('parseGitHubRepoUrl', () => {
  it.each([
    ['https://github.com/etcd-io/etcd', { owner: 'etcd-io', repo: 'etcd' }],
    [
      'http://github.com/drasi-project/drasi-platform',
      { owner: 'drasi-project', repo: 'drasi-platform' },
    ],
    ['https://www.github.com/o/r.git', { owner: 'o', repo: 'r' }],
    ['https://github.com/knative/docs/tree/main/reports', { owner: 'knative', repo: 'docs' }],
    ['prometheus/docs', { owner: 'prometheus', repo: 'docs' }],
    ['https://github.com/getsops', null],
    ['https://github.com/orgs/cncf/repositories', null],
    ['https://gitlab.com/gitlab-org/gitlab', null],
    ['https://opendev.org/zuul/zuul', null],
  ])('%s', (url, expected) => {
    expect(parseGitHubRepoUrl(url)).toEqual(expected);
  });
});
