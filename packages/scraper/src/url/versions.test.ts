import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  createVersionPolicy,
  isVersionSegment,
  parseVersionedPath,
} from './versions.js';

describe('parseVersionedPath', () => {
  it.each([
    ['https://etcd.io/docs/v3.6/op-guide/', 'https://etcd.io/docs/', 'v3.6', '/op-guide/'],
    ['https://etcd.io/docs/v3.5.0/', 'https://etcd.io/docs/', 'v3.5.0', '/'],
    ['https://etcd.io/docs/v3.6', 'https://etcd.io/docs/', 'v3.6', ''],
    ['https://example.org/3.6/install?x=1', 'https://example.org/', '3.6', '/install?x=1'],
    ['https://example.org/api/v1/', 'https://example.org/api/', 'v1', '/'],
    [
      'https://example.org/docs/release-1.2/guide',
      'https://example.org/docs/',
      'release-1.2',
      '/guide',
    ],
    ['https://example.org/docs/1.2.x/guide', 'https://example.org/docs/', '1.2.x', '/guide'],
    ['https://example.org/docs/V2.0.0-rc.1/', 'https://example.org/docs/', 'V2.0.0-rc.1', '/'],
    ['https://example.org/en/v1.28/docs/v2/', 'https://example.org/en/', 'v1.28', '/docs/v2/'],
  ])('%s → root %s, version %s, rest %s', (url, root, version, rest) => {
    expect(parseVersionedPath(url)).toEqual({ root, version, rest });
  });

  it.each([
    ['https://etcd.io/docs/latest/op-guide/'],
    ['https://example.org/docs/main/'],
    ['https://example.org/blog/2024/05/release/'],
    ['https://example.org/page/3/'],
    ['https://example.org/docs/version/'],
    ['https://example.org/v/'],
    ['https://example.org/docs/v3.6.tar.gz'],
    ['not a url'],
  ])('%s → null', (url) => {
    expect(parseVersionedPath(url)).toBeNull();
  });

  it('knows version segments from aliases and numbers', () => {
    expect(
      ['v1', 'v3.6', '3.6', '1.x', 'release-1.2', 'release-v1.2', 'v1beta1'].map(isVersionSegment),
    ).toEqual([true, true, true, true, true, true, true]);
    expect(
      ['latest', 'stable', 'main', 'master', 'next', 'dev', 'unreleased', '2024', '3'].map(
        isVersionSegment,
      ),
    ).toEqual([false, false, false, false, false, false, false, false, false]);
  });
});

describe('compareVersions', () => {
  it.each([
    ['v3.6', 'v3.5', 1],
    ['v3.5', 'v3.6', -1],
    ['v3.10', 'v3.9', 1],
    ['v3.5', '3.5.0', 0],
    ['3.5.x', 'v3.5', 0],
    ['release-1.10', 'release-1.9', 1],
    ['v2', 'v1.99', 1],
    ['v2.0.0', 'v2.0.0-rc.1', 1],
    ['v2.0.0-rc.1', 'v2.0.0-beta.3', 1],
    ['v2.0.0-rc.2', 'v2.0.0-rc.1', 1],
    ['v1.0.0-alpha', 'v0.9', 1],
    ['latest', 'v1', -1],
    ['latest', 'main', -1],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(expected === 0 ? 0 : -expected);
  });

  it('sorts a real list of etcd versions', () => {
    const versions = ['v3.4', 'v3.6', 'v2.3', 'v3.5', 'v3.3', 'v3.1', 'v3.2', 'v3.0'];
    expect([...versions].sort(compareVersions)).toEqual([
      'v2.3',
      'v3.0',
      'v3.1',
      'v3.2',
      'v3.3',
      'v3.4',
      'v3.5',
      'v3.6',
    ]);
  });
});

describe('createVersionPolicy', () => {
  it('in latest mode supersedes older versions under the same root only', () => {
    const policy = createVersionPolicy({ mode: 'latest' });
    for (const url of [
      'https://etcd.io/docs/v3.4/faq/',
      'https://etcd.io/docs/v3.6/faq/',
      'https://etcd.io/docs/v3.5/faq/',
      'https://prometheus.io/docs/v2.53/',
    ]) {
      policy.observe(url);
    }
    expect(policy.supersededBy('https://etcd.io/docs/v3.4/install/')).toBe('v3.6');
    expect(policy.supersededBy('https://etcd.io/docs/v3.5/faq/')).toBe('v3.6');
    expect(policy.supersededBy('https://etcd.io/docs/v3.6/faq/')).toBeNull();
    expect(policy.supersededBy('https://etcd.io/docs/v3.6.0/faq/')).toBeNull();
    expect(policy.supersededBy('https://etcd.io/blog/')).toBeNull();
    expect(policy.supersededBy('https://prometheus.io/docs/v2.53/')).toBeNull();
    // A different root has its own versions.
    expect(policy.supersededBy('https://etcd.io/api/v1/')).toBeNull();
    expect(policy.latest('https://etcd.io/docs/')).toBe('v3.6');
    expect(policy.latest('https://etcd.io/elsewhere/')).toBeNull();
  });

  it('learns newer versions as it goes', () => {
    const policy = createVersionPolicy({ mode: 'latest' });
    policy.observe('https://etcd.io/docs/v3.5/');
    expect(policy.supersededBy('https://etcd.io/docs/v3.5/faq/')).toBeNull();
    policy.observe('https://etcd.io/docs/v3.6/');
    expect(policy.supersededBy('https://etcd.io/docs/v3.5/faq/')).toBe('v3.6');
    // A pre-release of the next version is newer, too; it is what the site links to.
    policy.observe('https://etcd.io/docs/v3.7.0-alpha.1/');
    expect(policy.supersededBy('https://etcd.io/docs/v3.6/')).toBe('v3.7.0-alpha.1');
  });

  it('keeps a version that was seeded explicitly', () => {
    const policy = createVersionPolicy({
      mode: 'latest',
      pinned: ['https://etcd.io/docs/v3.4/', 'https://etcd.io/docs/'],
    });
    policy.observe('https://etcd.io/docs/v3.6/');
    policy.observe('https://etcd.io/docs/v3.5/');
    expect(policy.supersededBy('https://etcd.io/docs/v3.4/faq/')).toBeNull();
    expect(policy.supersededBy('https://etcd.io/docs/v3.4.0/faq/')).toBeNull();
    expect(policy.supersededBy('https://etcd.io/docs/v3.5/faq/')).toBe('v3.6');
  });

  it('supersedes nothing in all mode', () => {
    const policy = createVersionPolicy({ mode: 'all' });
    policy.observe('https://etcd.io/docs/v3.6/');
    expect(policy.supersededBy('https://etcd.io/docs/v3.4/')).toBeNull();
  });

  it('keeps alias segments by default and drops them under a versioned root on request', () => {
    const keep = createVersionPolicy({ mode: 'latest' });
    const drop = createVersionPolicy({ mode: 'latest', aliases: 'drop' });
    for (const policy of [keep, drop]) policy.observe('https://etcd.io/docs/v3.6/');
    expect(keep.supersededBy('https://etcd.io/docs/latest/faq/')).toBeNull();
    expect(drop.supersededBy('https://etcd.io/docs/latest/faq/')).toBe('v3.6');
    expect(drop.supersededBy('https://etcd.io/docs/Main/faq/')).toBe('v3.6');
    // No real version under this root: the alias is the only copy and stays.
    expect(drop.supersededBy('https://example.org/docs/stable/')).toBeNull();
  });

  it('rejects an unknown mode', () => {
    expect(() => createVersionPolicy({ mode: 'newest' as 'latest' })).toThrow(/mode/);
  });
});
