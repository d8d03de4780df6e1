import { describe, expect, it } from 'vitest';
import { loadDocuments } from '../../test/fixtures/dedup/plant.js';
import { collapseVersions, versionOf } from './versions.js';

describe('versionOf', () => {
  it('names the page and the version of a versioned docs URL', () => {
    expect(versionOf('https://etcd.io/docs/v3.5/op-guide/maintenance/')).toEqual({
      page: 'https://etcd.io/docs/{version}/op-guide/maintenance/',
      version: 'v3.5',
    });
    expect(versionOf('https://etcd.io/docs/v3.6/')).toEqual({
      page: 'https://etcd.io/docs/{version}/',
      version: 'v3.6',
    });
    expect(versionOf('https://prometheus.io/docs/practices/naming/')).toBeNull();
    expect(versionOf('https://example.org/docs/latest/intro/')).toBeNull();
    expect(versionOf('not a url')).toBeNull();
    // Pages about one version are not copies of each other.
    expect(versionOf('https://github.com/etcd-io/etcd/releases/tag/v3.5.0')).toBeNull();
    expect(versionOf('https://example.org/changelog/v3.5?tab=notes')).toBeNull();
  });
});

describe('collapseVersions', () => {
  it('maps every older copy of a page to its newest version, and leaves the rest alone', () => {
    const real = loadDocuments().map((document) => document.url);
    const older = real
      .filter((url) => url.includes('/v3.6/op-guide/'))
      .flatMap((url) => [url.replace('/v3.6/', '/v3.5/'), url.replace('/v3.6/', '/v3.4.0/')]);
    const obsolete = collapseVersions([...older, ...real]);
    expect(older.length).toBeGreaterThan(40);
    expect(obsolete.size).toBe(older.length);
    expect(obsolete.get('https://etcd.io/docs/v3.5/op-guide/maintenance/')).toBe(
      'https://etcd.io/docs/v3.6/op-guide/maintenance/',
    );
    expect(obsolete.get('https://etcd.io/docs/v3.4.0/op-guide/maintenance/')).toBe(
      'https://etcd.io/docs/v3.6/op-guide/maintenance/',
    );
    for (const url of real) expect(obsolete.has(url)).toBe(false);
  });

  it('orders versions by number, not by text, and treats v3.6 and 3.6.0 as one version', () => {
    const obsolete = collapseVersions([
      'https://example.org/docs/v3.10/a/',
      'https://example.org/docs/v3.9/a/',
      'https://example.org/docs/3.10.0/a/',
      'https://example.org/docs/v3.10.0-rc.1/a/',
    ]);
    expect([...obsolete.keys()].sort()).toEqual([
      'https://example.org/docs/v3.10.0-rc.1/a/',
      'https://example.org/docs/v3.9/a/',
    ]);
    expect(obsolete.get('https://example.org/docs/v3.9/a/')).toBe(
      'https://example.org/docs/v3.10/a/',
    );
  });
});
