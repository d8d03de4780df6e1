import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CncfProject,
  CncfProjectSchema,
  cncfProjects,
  findProject,
  slugify,
} from './cncf-projects.js';
import { type ParsedLandscape, parseLandscape } from './parse-landscape.js';
import { parseStackOverflowUrl } from './stack-overflow-url.js';

const TEXT = readFileSync(
  fileURLToPath(new URL('../../test/fixtures/landscape/landscape.yml', import.meta.url)),
  'utf8',
);

let parsed: ParsedLandscape;
let projects: CncfProject[];
beforeAll(() => {
  parsed = parseLandscape(TEXT);
  projects = cncfProjects(parsed);
});

function project(name: string): CncfProject {
  const found = findProject(projects, name);
  if (!found) throw new Error(`${name} is not in the landscape`);
  return found;
}

describe('cncfProjects on the real landscape', () => {
  it('has one project per `project:` line of the raw text, by maturity', () => {
    // Independent count: item-level `project:` lines (12 spaces), quoted or not. The one
    // `project:` inside `extra:` (another foundation's sandbox) is deeper and not counted.
    const raw = { graduated: 0, incubating: 0, sandbox: 0, archived: 0 } as Record<string, number>;
    for (const line of TEXT.split('\n')) {
      const match = /^ {12}project: "?([a-z]+)"?$/.exec(line);
      if (match?.[1]) raw[match[1]] = (raw[match[1]] ?? 0) + 1;
    }
    const model: Record<string, number> = { graduated: 0, incubating: 0, sandbox: 0, archived: 0 };
    for (const p of projects) model[p.maturity] = (model[p.maturity] ?? 0) + 1;
    expect(model).toEqual(raw);
    expect(model).toEqual({ graduated: 38, incubating: 38, sandbox: 151, archived: 28 });
    expect(projects).toHaveLength(255);
  });

  it('gives every project a unique kebab-case slug and a schema-valid, JSON-safe record', () => {
    const slugs = new Set(projects.map((p) => p.slug));
    expect(slugs.size).toBe(projects.length);
    for (const p of projects) {
      expect(p.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(CncfProjectSchema.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
    }
    expect(project('OAuth2 Proxy').slug).toBe('oauth2-proxy');
    expect(project('Emissary-Ingress').slug).toBe('emissary-ingress');
  });

  it('models etcd', () => {
    expect(project('etcd')).toMatchObject({
      name: 'etcd',
      slug: 'etcd',
      maturity: 'graduated',
      category: 'Orchestration & Management',
      subcategory: 'Coordination & Service Discovery',
      homepageUrl: 'https://etcd.io/',
      repoUrl: 'https://github.com/etcd-io/etcd',
      additionalRepos: [],
      documentationUrl: null,
      stackOverflowUrl: 'https://stackoverflow.com/questions/tagged/etcd',
      stackOverflowTags: ['etcd'],
      parentProject: null,
      dates: { accepted: '2018-12-11', incubating: '2018-12-11', graduated: '2020-11-24' },
      clomonitorName: 'etcd',
      lfxSlug: 'etcd',
      logo: 'etcd.svg',
      audits: [
        {
          date: '2020-08-05',
          type: 'security',
          url: 'https://github.com/etcd-io/etcd/blob/master/security/SECURITY_AUDIT.pdf',
          vendor: 'Trail of Bits',
        },
        {
          date: '2022-03-11',
          type: 'fuzzing',
          url: 'https://github.com/etcd-io/etcd/blob/main/security/FUZZING_AUDIT_2022.PDF',
          vendor: 'ADA Logics',
        },
      ],
    });
    expect(project('etcd').summary.tags).toEqual([
      'distributed',
      'key-value',
      'consistent',
      'datastore',
      'reliability',
    ]);
    expect(project('etcd').dates.archived).toBeUndefined();
  });

  it('models Prometheus with its second placement', () => {
    const prometheus = project('prometheus');
    expect(prometheus).toMatchObject({
      name: 'Prometheus',
      maturity: 'graduated',
      category: 'Observability and Analysis',
      repoUrl: 'https://github.com/prometheus/prometheus',
      stackOverflowTags: ['prometheus'],
      dates: { accepted: '2016-05-09', graduated: '2018-08-09' },
      clomonitorName: 'prometheus',
    });
    expect(prometheus.placements).toEqual([
      { category: 'Observability and Analysis', subcategory: prometheus.subcategory },
      { category: 'AI Native Infra', subcategory: 'Observability' },
    ]);
    expect(prometheus.audits.map((a) => a.vendor)).toEqual(['Cure53', 'Cure53']);
    expect(prometheus.summary.integrations).toContain('exporters');
  });

  it('merges a project listed twice (Kgateway) into one with both placements', () => {
    const entries = parsed.items.filter((e) => e.item.name === 'Kgateway');
    expect(entries).toHaveLength(2);
    const kgateway = projects.filter((p) => p.name === 'Kgateway');
    expect(kgateway).toHaveLength(1);
    expect(kgateway[0]?.placements).toEqual(
      entries.map((e) => ({ category: e.category, subcategory: e.subcategory })),
    );
    expect(kgateway[0]?.additionalRepos).toEqual([]);
    // Non-project duplicates (members, products) do not become projects.
    expect(findProject(projects, 'Okahu')).toBeUndefined();
    expect(findProject(projects, 'k0rdent')).toBeUndefined();
  });

  it('merges duplicate listings of one project and leaves a namesake alone', () => {
    // The real duplicates add no new facts (Kgateway's second listing repeats its
    // second_path), so this small landscape provokes what a merge must do.
    const item = (fields: string) =>
      `          - item:\n            logo: x.svg\n${fields.replace(/^/gm, '            ')}\n`;
    const text = `landscape:
  - category:
    name: One
    subcategories:
      - subcategory:
        name: A
        items:
${item('name: Widget\nhomepage_url: https://widget.dev/\nproject: sandbox\nrepo_url: https://github.com/widget/widget')}
${item('name: Gadget\nhomepage_url: https://gadget.dev/\nproject: incubating\nrepo_url: https://github.com/gadget/gadget')}
  - category:
    name: Two
    subcategories:
      - subcategory:
        name: B
        items:
${item('name: widget\nhomepage_url: https://www.widget.dev/\nproject: sandbox\nrepo_url: https://github.com/widget/widget-operator\nextra:\n  documentation_url: https://widget.dev/docs/')}
${item('name: Gadget\nhomepage_url: https://gadget.example.com/\nrepo_url: https://github.com/someone-else/gadget')}
${item('name: Gadget\nhomepage_url: https://www.gadget.dev/\ndescription: Listed again in B')}
`;
    const local = parseLandscape(text);
    expect(local.issues).toEqual([]);
    const merged = cncfProjects(local);
    expect(merged.map((p) => p.name)).toEqual(['Widget', 'Gadget']);
    expect(merged[0]).toMatchObject({
      slug: 'widget',
      placements: [
        { category: 'One', subcategory: 'A' },
        { category: 'Two', subcategory: 'B' },
      ],
      repoUrl: 'https://github.com/widget/widget',
      additionalRepos: ['https://github.com/widget/widget-operator'],
      documentationUrl: 'https://widget.dev/docs/',
    });
    // The namesake with another homepage and repository stays out; the same-homepage one merges.
    expect(merged[1]).toMatchObject({
      placements: [
        { category: 'One', subcategory: 'A' },
        { category: 'Two', subcategory: 'B' },
      ],
      additionalRepos: [],
      description: 'Listed again in B',
    });
  });

  it('reads documentation URLs, the typo included, and Stack Overflow tags', () => {
    const withDocs = projects.filter((p) => p.documentationUrl !== null).map((p) => p.name);
    expect(withDocs.sort()).toEqual(['CloudNativePG', 'Kubewarden', 'OpenTelemetry']);
    expect(project('OpenTelemetry').documentationUrl).toBe('https://opentelemetry.io/docs/');
    expect(projects.filter((p) => p.stackOverflowUrl !== null)).toHaveLength(32);
    expect(project('Argo').stackOverflowTags).toEqual(['argoproj', 'argo']);
    expect(project('NATS').stackOverflowTags).toEqual(['nats.io']);
    // Carvel links to a search, not a tag.
    expect(project('Carvel').stackOverflowUrl).toMatch(/search\?q=carvel/);
    expect(project('Carvel').stackOverflowTags).toEqual([]);
  });

  it('takes additional repositories, pinned branches and sub-projects', () => {
    expect(project('NATS').additionalRepos).toHaveLength(17);
    expect(project('NATS').additionalRepos).toContain('https://github.com/nats-io/nats.go');
    expect(project('CloudNativePG').branch).toBe('main');
    expect(project('Cilium').subprojects.sort()).toEqual(['Hubble', 'Tetragon']);
    expect(project('Flux').subprojects).toEqual(['Flagger']);
    expect(project('Curiefense').repoUrl).toBeNull();
  });

  it('filters by maturity without changing slugs', () => {
    const graduated = cncfProjects(parsed, { maturity: ['graduated'] });
    expect(graduated).toHaveLength(38);
    expect(graduated.every((p) => p.maturity === 'graduated')).toBe(true);
    const archived = cncfProjects(parsed, { maturity: ['archived', 'incubating'] });
    expect(archived).toHaveLength(28 + 38);
    expect(archived.map((p) => p.name)).toContain('rkt');
    expect(archived.find((p) => p.name === 'rkt')?.dates.archived).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const p of graduated) expect(p.slug).toBe(project(p.name).slug);
    expect(() => cncfProjects(parsed, { maturity: ['graduate' as never] })).toThrowError(
      expect.objectContaining({ code: 'invalid-options' }),
    );
  });
});

describe('findProject', () => {
  it('finds by name or slug in any case, and nothing for unknown names', () => {
    expect(findProject(projects, 'ETCD')?.name).toBe('etcd');
    expect(findProject(projects, 'oauth2-proxy')?.name).toBe('OAuth2 Proxy');
    expect(findProject(projects, 'oauth2 proxy')?.name).toBe('OAuth2 Proxy');
    expect(findProject(projects, '  Prometheus ')?.name).toBe('Prometheus');
    expect(findProject(projects, 'etdc')).toBeUndefined();
    expect(findProject(projects, '')).toBeUndefined();
  });

  it('slugifies accents and punctuation', () => {
    expect(slugify('Crème Brûlée & Co.')).toBe('creme-brulee-co');
  });
});

describe('parseStackOverflowUrl', () => {
  it.each([
    ['https://stackoverflow.com/questions/tagged/etcd', { tags: ['etcd'], match: 'any' }],
    [
      'https://stackoverflow.com/questions/tagged/argoproj+or+argo',
      { tags: ['argoproj', 'argo'], match: 'any' },
    ],
    [
      'https://stackoverflow.com/questions/tagged/kubernetes+helm',
      { tags: ['kubernetes', 'helm'], match: 'all' },
    ],
    ['https://stackoverflow.com/questions/tagged/c%2b%2b', { tags: ['c++'], match: 'any' }],
    ['https://stackoverflow.com/tags/nats.io/info', { tags: ['nats.io'], match: 'any' }],
    ['https://stackoverflow.com/search?q=carvel', null],
    ['https://example.com/questions/tagged/etcd', null],
    ['not a url', null],
  ])('%s', (url, expected) => {
    expect(parseStackOverflowUrl(url)).toEqual(expected);
  });
});
