import { describe, expect, it } from 'vitest';
import { isScraperError } from '../errors.js';
import { createScope } from './scope.js';

const inScope = { inScope: true };

describe('createScope: defaults from seeds', () => {
  const scope = createScope({
    seeds: ['https://etcd.io/docs/v3.6/', 'https://www.prometheus.io/docs/introduction/overview/'],
  });

  it.each([
    ['https://etcd.io/docs/v3.6/', true],
    ['https://etcd.io/docs/v3.6/op-guide/clustering/', true],
    ['https://www.etcd.io/docs/v3.6/faq/', true],
    ['http://etcd.io/docs/v3.6/faq/', true],
    ['https://ETCD.io/docs/v3.6/faq/#why', true],
    ['https://etcd.io/docs/v3.6', true],
    ['https://etcd.io/docs/v3.5/faq/', false],
    ['https://etcd.io/docs/v3.60/', false],
    ['https://etcd.io/blog/', false],
    ['https://prometheus.io/docs/introduction/overview/', true],
    ['https://prometheus.io/docs/introduction/faq/', false],
    ['https://docs.etcd.io/docs/v3.6/', false],
    ['https://github.com/etcd-io/etcd', false],
    ['mailto:etcd@example.org', false],
  ])('%s → %s', (url, expected) => {
    expect(scope.check(url).inScope).toBe(expected);
  });

  it('says why a URL is out of scope', () => {
    expect(scope.check('https://github.com/etcd-io/etcd')).toEqual({
      inScope: false,
      reason: 'host github.com is not a seed host (etcd.io, prometheus.io)',
    });
    expect(scope.check('https://etcd.io/blog/')).toEqual({
      inScope: false,
      reason: 'path /blog/ is outside /docs/v3.6/',
    });
    expect(scope.check('javascript:alert(1)')).toEqual({
      inScope: false,
      reason: 'not an http(s) URL',
    });
  });

  it('exposes the rules it derived', () => {
    expect(scope.rules).toEqual([
      { host: 'etcd.io', prefix: '/docs/v3.6/' },
      { host: 'prometheus.io', prefix: '/docs/introduction/overview/' },
    ]);
  });
});

describe('createScope: seed directories', () => {
  it.each([
    ['https://etcd.io/docs/', '/docs/'],
    ['https://etcd.io/docs/index.html', '/docs/'],
    ['https://etcd.io/docs/v3.6', '/docs/v3.6/'],
    ['https://etcd.io/docs/1.2.x', '/docs/1.2.x/'],
    ['https://etcd.io/docs/install', '/docs/install/'],
    ['https://etcd.io/docs/guide.pdf', '/docs/'],
    ['https://etcd.io', '/'],
    ['https://etcd.io/docs/v3.6/?utm_source=x', '/docs/v3.6/'],
  ])('seed %s → prefix %s', (seed, prefix) => {
    expect(createScope({ seeds: [seed] }).rules).toEqual([{ host: 'etcd.io', prefix }]);
  });

  it('takes in every version below a docs root', () => {
    const scope = createScope({ seeds: ['https://etcd.io/docs/'] });
    expect(scope.check('https://etcd.io/docs/v3.5/faq/')).toEqual(inScope);
    expect(scope.check('https://etcd.io/docs/v3.6/faq/')).toEqual(inScope);
    expect(scope.check('https://etcd.io/docs')).toEqual(inScope);
    expect(scope.check('https://etcd.io/community/').inScope).toBe(false);
  });
});

describe('createScope: options', () => {
  it('replaces the seed directories with explicit prefixes', () => {
    const scope = createScope({
      seeds: ['https://etcd.io/docs/v3.6/'],
      prefixes: ['/docs/', 'https://blog.etcd.io/posts/'],
    });
    expect(scope.check('https://etcd.io/docs/v3.4/')).toEqual(inScope);
    expect(scope.check('https://blog.etcd.io/posts/2024/')).toEqual(inScope);
    expect(scope.check('https://blog.etcd.io/about/').inScope).toBe(false);
    expect(scope.check('https://etcd.io/blog/').inScope).toBe(false);
  });

  it('excludes path substrings and regular expressions, naming the pattern', () => {
    const scope = createScope({
      seeds: ['https://etcd.io/docs/'],
      exclude: ['/tags/', '?print=', /\/v2(\.\d+)?\//g],
    });
    expect(scope.check('https://etcd.io/docs/tags/raft/')).toEqual({
      inScope: false,
      reason: 'excluded by pattern "/tags/"',
    });
    expect(scope.check('https://etcd.io/docs/faq/?print=1')).toEqual({
      inScope: false,
      reason: 'excluded by pattern "?print="',
    });
    // A /g RegExp gives the same answer every time.
    for (let i = 0; i < 3; i += 1) {
      expect(scope.check('https://etcd.io/docs/v2.3/faq/')).toEqual({
        inScope: false,
        reason: 'excluded by pattern /\\/v2(\\.\\d+)?\\//g',
      });
    }
    expect(scope.check('https://etcd.io/docs/v3.6/faq/')).toEqual(inScope);
  });

  it('takes in subdomains only when asked', () => {
    const strict = createScope({ seeds: ['https://etcd.io/'] });
    const loose = createScope({ seeds: ['https://etcd.io/'], allowSubdomains: true });
    expect(strict.check('https://docs.etcd.io/guide/').inScope).toBe(false);
    expect(loose.check('https://docs.etcd.io/guide/')).toEqual(inScope);
    expect(loose.check('https://notetcd.io/').inScope).toBe(false);
  });

  it('tells hosts on different ports apart', () => {
    const scope = createScope({ seeds: ['http://127.0.0.1:8080/docs/'] });
    expect(scope.check('http://127.0.0.1:8080/docs/a')).toEqual(inScope);
    expect(scope.check('http://127.0.0.1:9090/docs/a').inScope).toBe(false);
  });

  it('rejects seeds that are not http(s) URLs and an empty seed list', () => {
    for (const seeds of [['ftp://etcd.io/'], ['etcd.io/docs'], []]) {
      try {
        createScope({ seeds });
        expect.unreachable();
      } catch (error) {
        expect(isScraperError(error, 'invalid-options')).toBe(true);
      }
    }
  });
});
