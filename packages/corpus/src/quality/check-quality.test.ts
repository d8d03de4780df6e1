import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCorpusError } from '../errors.js';
import { checkQuality, QUALITY_FILTERS, resolveQualityOptions } from './check-quality.js';
import { QualityStats } from './quality-stats.js';

const FixtureDocumentSchema = z.object({
  url: z.string(),
  project: z.string().nullable(),
  sourceType: z.string(),
  markdown: z.string(),
});

const documents = readFileSync(
  fileURLToPath(new URL('../../test/fixtures/documents/documents.jsonl', import.meta.url)),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => FixtureDocumentSchema.parse(JSON.parse(line)));

/**
 * The real pages the filters drop, each a docs-site section index: a title and links to child
 * pages, fewer than 25 words, nothing a reader or a model learns from (the child pages are in the
 * corpus themselves).
 */
const EXPECTED_REAL_DROPS = new Set([
  'https://etcd.io/docs/',
  'https://etcd.io/docs/v3.6/triage/',
  'https://prometheus.io/docs/alerting/',
  'https://prometheus.io/docs/concepts/',
  'https://prometheus.io/docs/introduction/',
  'https://prometheus.io/docs/operating/',
  'https://prometheus.io/docs/prometheus/',
  'https://prometheus.io/docs/specs/',
  'https://prometheus.io/docs/specs/om/',
  'https://prometheus.io/docs/specs/prw/',
  'https://prometheus.io/docs/tutorials/',
  'https://prometheus.io/docs/visualization/',
]);

describe('checkQuality on the real etcd, Prometheus and whitepaper documents', () => {
  it('keeps every real page except near-empty section indexes, and says why each was dropped', () => {
    expect(documents.length).toBe(166);
    const dropped = documents
      .map((doc) => ({ doc, result: checkQuality(doc.markdown) }))
      .filter(({ result }) => !result.keep);
    for (const { doc, result } of dropped) {
      console.log(
        `dropped ${doc.url}: ${result.failed.map((f) => `${f.filter}=${round(f.value)} (threshold ${f.threshold})`).join(', ')}`,
      );
    }
    expect(new Set(dropped.map(({ doc }) => doc.url))).toEqual(EXPECTED_REAL_DROPS);
    for (const { result } of dropped) {
      expect(result.failed[0]?.filter).toBe('min-words');
      expect(result.failed[0]!.value).toBeLessThan(25);
    }
  });

  it('keeps the whitepaper despite its dot-leader table of contents and page headers', () => {
    const whitepaper = documents.find((doc) => doc.sourceType === 'whitepaper');
    expect(whitepaper).toBeDefined();
    expect(whitepaper!.markdown).toContain('.....');
    expect(checkQuality(whitepaper!.markdown)).toEqual({ keep: true, failed: [] });
  });

  it('keeps code-heavy pages: the Kubernetes guide is mostly YAML and shell', () => {
    const kubernetes = documents.find((doc) => doc.url.endsWith('/op-guide/kubernetes/'));
    expect(kubernetes).toBeDefined();
    expect(checkQuality(kubernetes!.markdown).keep).toBe(true);
  });

  it('keeps the API reference whose tables repeat the same header row a hundred times', () => {
    const reference = documents.find((doc) => doc.url.endsWith('/api_reference_v3/'));
    expect(reference!.markdown.split('| Field | Description | Type |').length).toBeGreaterThan(100);
    expect(checkQuality(reference!.markdown).keep).toBe(true);
  });
});

// Realistic bad pages, as a crawler meets them. Each must be dropped by the named filter.
const BAD_PAGES: { name: string; expected: string; markdown: string }[] = [
  {
    name: 'a 404 page',
    expected: 'boilerplate',
    markdown: `# 404 - Page not found

Oops! The page you are looking for does not exist. It may have been moved, renamed or deleted.

Here are some helpful links instead:

- [Home](https://docs.example.org/)
- [Documentation](https://docs.example.org/docs/)
- [Blog](https://docs.example.org/blog/)
- [Community](https://docs.example.org/community/)

If you followed a link from another site, please let the site owner know that the link is broken.
`,
  },
  {
    name: 'a cookie wall',
    expected: 'boilerplate',
    markdown: `# Before you continue to the documentation

We use cookies and similar technologies to deliver our services, measure traffic and personalise content.

This site uses cookies. Please enable cookies in your browser settings to read the documentation.

By clicking "Accept all cookies" you agree to the storing of cookies on your device. See our cookie policy for details.

[Accept all cookies](#accept) [Reject all](#reject) [Manage cookie settings](#settings)
`,
  },
  {
    name: 'a keyword-stuffed spam page',
    expected: 'top-2gram',
    markdown: `# Cheap Kubernetes hosting

Looking for cheap Kubernetes hosting? Our cheap Kubernetes hosting is the best cheap Kubernetes hosting for cheap Kubernetes hosting buyers. Cheap Kubernetes hosting deals, cheap Kubernetes hosting coupons and cheap Kubernetes hosting reviews.

Best cheap Kubernetes hosting 2024. Top cheap Kubernetes hosting providers compared. Why pay more when cheap Kubernetes hosting is here? Cheap Kubernetes hosting with free setup, cheap Kubernetes hosting with free domain, cheap Kubernetes hosting with free SSL.

Buy cheap Kubernetes hosting now. Cheap Kubernetes hosting, cheap Kubernetes hosting, cheap Kubernetes hosting: the only cheap Kubernetes hosting you need. Sign up for cheap Kubernetes hosting today and get cheap Kubernetes hosting for less.
`,
  },
  {
    name: 'a lorem ipsum template page',
    expected: 'lorem-ipsum',
    markdown: `# Getting started

Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.

## Installation

Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.

## Configuration

Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo.
`,
  },
  {
    name: 'a page of repeated lines (a scraped comment widget)',
    expected: 'duplicate-lines',
    markdown: Array.from(
      { length: 12 },
      (_, index) =>
        `Release v1.${index}.0 is out with bug fixes and performance improvements.\nPosted by admin in Uncategorized\nRead more about this release\nNo comments yet`,
    ).join('\n'),
  },
  {
    name: 'a navigation-only page',
    expected: 'bullet-lines',
    markdown: `# Site map

${[
  'Home',
  'Getting started',
  'Installation',
  'Configuration',
  'Concepts',
  'Architecture',
  'Tutorials',
  'How-to guides',
  'Reference',
  'API',
  'CLI',
  'Operators',
  'Security',
  'Releases',
  'Roadmap',
  'Community',
  'Blog',
  'Events',
  'Contributing',
  'Governance',
  'Code of conduct',
  'Adopters',
  'Support',
  'FAQ',
  'Contact',
]
  .map(
    (item) => `- [${item}](https://docs.example.org/${item.toLowerCase().replace(/\W+/g, '-')}/)`,
  )
  .join('\n')}
`,
  },
  {
    name: 'a hashtag dump',
    expected: 'symbol-word-ratio',
    markdown: `# Follow us

Follow our cloud native journey and share your stories with the community using these tags:

#kubernetes #cloudnative #devops #sre #observability #prometheus #grafana #etcd #helm #containers #docker #microservices #gitops #argocd #flux #istio #linkerd #envoy #serverless #opensource #cncf #k8s #monitoring #logging #tracing
`,
  },
  {
    name: 'a list of truncated teasers',
    expected: 'ellipsis-lines',
    markdown: `# Latest posts

How we cut our etcd compaction time in half by tuning the defrag schedule and...
Five lessons from running Prometheus at scale across three regions and two clouds, including...
Why your alerting rules fire too often and what to do about the noise it makes at...
A deep dive into the remote write protocol and how it handles back pressure when the...
Migrating from Helm 2 to Helm 3 without downtime: the checklist we wish we had when...
`,
  },
  {
    name: 'a pasted minified bundle',
    expected: 'mean-word-length',
    markdown: `# app.min.js

The following is the compiled output of the application as served to the browser today:

function(e,t){"use strict";var_n=e.document,r=Object.getPrototypeOf,i=n.slice,o=n.flat?function(e){return_n.flat.call(e)}:function(e){return_n.concat.apply([],e)} var_a=n.push,s=n.indexOf,u={},l=u.toString,c=u.hasOwnProperty,f=c.toString,p=f.call(Object),d={},h=function(e){return"function"==typeof_e&&"number"!=typeof_e.nodeType},g=function(e){return_null!=e&&e===e.window} var_v={type:!0,src:!0,nonce:!0,noModule:!0};function_y(e,t,n){var_r,i,o=(n=n||m).createElement("script");if(o.text=e,t)for(r_in_v)(i=t[r]||t.getAttribute&&t.getAttribute(r))&&o.setAttribute(r,i);n.head.appendChild(o).parentNode.removeChild(o)}
`,
  },
  {
    name: 'a tag cloud with no sentences',
    expected: 'stop-words',
    markdown: `# Tags

Kubernetes Docker Helm Prometheus Grafana Loki Tempo Jaeger Envoy Istio Linkerd Cilium Calico Flannel Containerd CRI-O Podman Buildah Skopeo Harbor Quay Notary Cosign Sigstore Falco Kyverno Gatekeeper Vault Consul Nomad Terraform Pulumi Crossplane ArgoCD Flux Tekton Jenkins Spinnaker Keptn Litmus Chaos Mesh
`,
  },
];

describe('checkQuality on realistic bad pages', () => {
  for (const page of BAD_PAGES) {
    it(`drops ${page.name} by ${page.expected}`, () => {
      const result = checkQuality(page.markdown);
      console.log(
        `${page.name}: ${result.failed.map((f) => `${f.filter}=${round(f.value)}`).join(', ')}`,
      );
      expect(result.keep).toBe(false);
      expect(result.failed.map((f) => f.filter)).toContain(page.expected);
    });
  }

  it("flips the cookie wall's verdict when its only failing filter is disabled", () => {
    // The cookie wall fails only `boilerplate`: disabling it must flip the verdict, which shows
    // the verdict really comes from that filter and not from some other rule.
    const cookieWall = BAD_PAGES.find((page) => page.name === 'a cookie wall')!;
    expect(checkQuality(cookieWall.markdown).failed.map((f) => f.filter)).toEqual(['boilerplate']);
    expect(checkQuality(cookieWall.markdown, { disable: ['boilerplate'] }).keep).toBe(true);
  });
});

describe('checkQuality rules', () => {
  it('never judges code: a heading and a long repetitive shell block is kept', () => {
    const commands = Array.from(
      { length: 40 },
      () => 'etcdctl --endpoints=$ENDPOINTS get foo',
    ).join('\n');
    const page = `# Example\n\n\`\`\`shell\n${commands}\n\`\`\`\n`;
    expect(checkQuality(page)).toEqual({ keep: true, failed: [] });
  });

  it('counts code words towards min-words, and ignores ellipses and hashes inside code', () => {
    const code = Array.from({ length: 10 }, (_, i) => `# comment ${i} ...`).join('\n');
    const page = `# Tiny\n\nRun it.\n\n\`\`\`bash\n${code}\n\`\`\`\n`;
    const result = checkQuality(page);
    expect(result.keep).toBe(true);
    const tooShort = checkQuality('# Tiny\n\nRun it.\n');
    expect(tooShort.failed).toEqual([{ filter: 'min-words', value: 3, threshold: 25 }]);
  });

  it('treats an unclosed fence as code to the end of the page', () => {
    const page = `# Title\n\n\`\`\`\n${'word '.repeat(30)}\n`;
    expect(checkQuality(page).keep).toBe(true);
  });

  it('applies configured thresholds', () => {
    const page = documents.find((doc) => doc.url.endsWith('/practices/naming/'))!.markdown;
    expect(checkQuality(page).keep).toBe(true);
    const strict = checkQuality(page, { minWords: 1_000_000 });
    expect(strict.failed.map((f) => f.filter)).toEqual(['min-words']);
    expect(strict.failed[0]!.threshold).toBe(1_000_000);
  });

  it('matches configured boilerplate phrases whatever their case', () => {
    const page =
      '# Notice\n\nOur docs now live elsewhere: Moved To The New Portal, please update your bookmarks.\n\nThanks for reading the docs and for being part of the community for so long.\n';
    expect(checkQuality(page).keep).toBe(true);
    const result = checkQuality(page, { boilerplatePhrases: ['moved to the NEW portal'] });
    expect(result.failed).toEqual([{ filter: 'boilerplate', value: 1 / 3, threshold: 0.15 }]);
  });

  it('rejects invalid options with a CorpusError', () => {
    expect(() => checkQuality('x', { maxBulletLineFraction: 2 })).toThrow(/maxBulletLineFraction/);
    try {
      resolveQualityOptions({ disable: ['no-such-filter'] });
      expect.unreachable();
    } catch (error) {
      expect(isCorpusError(error, 'invalid-options')).toBe(true);
      expect((error as Error).message).toContain('no-such-filter');
    }
  });

  it('has a stable list of filter names', () => {
    expect(QUALITY_FILTERS).toContain('min-words');
    expect(new Set(QUALITY_FILTERS).size).toBe(QUALITY_FILTERS.length);
  });
});

describe('QualityStats', () => {
  it('counts verdicts per filter and merges parallel accumulators', () => {
    const first = new QualityStats();
    const second = new QualityStats();
    for (const [index, doc] of documents.entries()) {
      (index % 2 === 0 ? first : second).add(checkQuality(doc.markdown));
    }
    for (const page of BAD_PAGES) second.add(checkQuality(page.markdown));
    first.merge(second);
    const report = first.toJSON();
    expect(report.documents).toBe(documents.length + BAD_PAGES.length);
    expect(report.dropped).toBe(EXPECTED_REAL_DROPS.size + BAD_PAGES.length);
    expect(report.kept).toBe(documents.length - EXPECTED_REAL_DROPS.size);
    const firstTotal = Object.values(report.droppedByFirstFilter).reduce((a, b) => a + b, 0);
    expect(firstTotal).toBe(report.dropped);
    expect(report.failuresByFilter['min-words']).toBeGreaterThanOrEqual(EXPECTED_REAL_DROPS.size);
    expect(report.failuresByFilter.boilerplate).toBeGreaterThanOrEqual(2);
    console.log('quality report', JSON.stringify(report));
  });
});

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
