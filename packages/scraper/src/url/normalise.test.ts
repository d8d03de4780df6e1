import { describe, expect, it } from 'vitest';
import { isTrackingParameter, normaliseUrl, TRACKING_PARAMETERS, urlKey } from './normalise.js';

describe('normaliseUrl', () => {
  it.each([
    // scheme, host, port
    ['HTTPS://Etcd.IO/docs/', 'https://etcd.io/docs/'],
    ['https://etcd.io:443/docs/', 'https://etcd.io/docs/'],
    ['http://etcd.io:80/docs/', 'http://etcd.io/docs/'],
    ['http://etcd.io:8080/docs/', 'http://etcd.io:8080/docs/'],
    ['https://etcd.io', 'https://etcd.io/'],
    ['https://user:secret@etcd.io/docs/', 'https://etcd.io/docs/'],
    ['https://bücher.example/a', 'https://xn--bcher-kva.example/a'],
    // fragments and dot segments
    ['https://etcd.io/docs/v3.6/#install', 'https://etcd.io/docs/v3.6/'],
    ['https://etcd.io/docs/./v3.6/../v3.5/faq', 'https://etcd.io/docs/v3.5/faq'],
    ['https://etcd.io/a/%2e%2E/b', 'https://etcd.io/b'],
    // paths keep their case and trailing slash
    ['https://etcd.io/Docs/FAQ/', 'https://etcd.io/Docs/FAQ/'],
    // percent-encoding
    ['https://etcd.io/%7Euser/%41bc', 'https://etcd.io/~user/Abc'],
    ['https://etcd.io/a%2fb%3a', 'https://etcd.io/a%2Fb%3A'],
    ['https://etcd.io/docs/ツ', 'https://etcd.io/docs/%E3%83%84'],
    ['https://etcd.io/docs/%e3%83%84', 'https://etcd.io/docs/%E3%83%84'],
    ['https://etcd.io/a b', 'https://etcd.io/a%20b'],
    // query: tracking dropped, sorted stably, raw values kept
    ['https://etcd.io/?utm_source=x&utm_Medium=y&b=2&a=1', 'https://etcd.io/?a=1&b=2'],
    [
      'https://etcd.io/p?gclid=1&fbclid=2&msclkid=3&mc_cid=4&mc_eid=5&_ga=6&_gl=7',
      'https://etcd.io/p',
    ],
    ['https://etcd.io/p?_hsenc=1&_hsmi=2&ref_src=twsrc&yclid=3&q=etcd', 'https://etcd.io/p?q=etcd'],
    ['https://etcd.io/p?tag=b&x=1&tag=a', 'https://etcd.io/p?tag=b&tag=a&x=1'],
    ['https://etcd.io/p?q=a+b&r=a%2bb&s=%7e', 'https://etcd.io/p?q=a+b&r=a%2Bb&s=~'],
    ['https://etcd.io/p?', 'https://etcd.io/p'],
    ['https://etcd.io/p?&&', 'https://etcd.io/p'],
    ['https://etcd.io/p?flag', 'https://etcd.io/p?flag'],
    ['https://etcd.io/p?utm_source=only', 'https://etcd.io/p'],
    ['  https://etcd.io/padded  ', 'https://etcd.io/padded'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseUrl(raw)).toBe(expected);
    // Normalising twice changes nothing.
    expect(normaliseUrl(expected)).toBe(expected);
  });

  it.each([
    ['mailto:team@etcd.io'],
    ['javascript:void(0)'],
    ['data:text/plain,hello'],
    ['tel:+123'],
    ['ftp://files.example.org/x'],
    ['not a url'],
    ['//etcd.io/protocol-relative-without-base'],
    ['http://'],
  ])('%s → null', (raw) => {
    expect(normaliseUrl(raw)).toBeNull();
  });

  it('resolves relative links against a base', () => {
    const base = 'https://etcd.io/docs/v3.6/op-guide/clustering/';
    expect(normaliseUrl('../security/#tls', base)).toBe(
      'https://etcd.io/docs/v3.6/op-guide/security/',
    );
    expect(normaliseUrl('/blog/', base)).toBe('https://etcd.io/blog/');
    expect(normaliseUrl('//prometheus.io/docs', base)).toBe('https://prometheus.io/docs');
    expect(normaliseUrl('?page=2', base)).toBe(
      'https://etcd.io/docs/v3.6/op-guide/clustering/?page=2',
    );
    expect(normaliseUrl('#only-a-fragment', base)).toBe(
      'https://etcd.io/docs/v3.6/op-guide/clustering/',
    );
    expect(normaliseUrl('mailto:x@etcd.io', base)).toBeNull();
  });
});

describe('tracking parameters', () => {
  it('lists the common ones and matches utm_* and case-insensitively', () => {
    for (const name of [
      'gclid',
      'fbclid',
      'msclkid',
      'mc_cid',
      'mc_eid',
      '_ga',
      '_gl',
      '_hsenc',
      '_hsmi',
      'ref_src',
      'yclid',
    ]) {
      expect(TRACKING_PARAMETERS).toContain(name);
    }
    expect(isTrackingParameter('utm_campaign')).toBe(true);
    expect(isTrackingParameter('UTM_SOURCE')).toBe(true);
    expect(isTrackingParameter('GCLID')).toBe(true);
    expect(isTrackingParameter('page')).toBe(false);
    expect(isTrackingParameter('ref')).toBe(false);
  });
});

describe('urlKey', () => {
  it('gives /docs/a, /docs/a/ and /docs/a/index.html one key', () => {
    const keys = new Set(
      [
        'https://etcd.io/docs/a',
        'https://etcd.io/docs/a/',
        'https://etcd.io/docs/a/index.html',
        'https://etcd.io/docs/a/INDEX.HTM',
        'HTTPS://ETCD.IO:443/docs/a/#top',
        'https://etcd.io/docs/a/?utm_source=newsletter',
      ].map(urlKey),
    );
    expect([...keys]).toEqual(['https://etcd.io/docs/a']);
  });

  it.each([
    ['https://etcd.io/', 'https://etcd.io/'],
    ['https://etcd.io/index.html', 'https://etcd.io/'],
    ['https://etcd.io', 'https://etcd.io/'],
    ['https://etcd.io/docs/a/?b=1&a=2', 'https://etcd.io/docs/a?a=2&b=1'],
    ['https://etcd.io/docs/myindex.html', 'https://etcd.io/docs/myindex.html'],
    ['https://etcd.io/docs/index.html/', 'https://etcd.io/docs/index.html'],
    ['mailto:team@etcd.io ', 'mailto:team@etcd.io'],
  ])('%s → %s', (url, key) => {
    expect(urlKey(url)).toBe(key);
  });

  it('keeps different pages apart', () => {
    expect(urlKey('https://etcd.io/docs/a')).not.toBe(urlKey('https://etcd.io/docs/b'));
    expect(urlKey('https://etcd.io/docs/a?page=1')).not.toBe(
      urlKey('https://etcd.io/docs/a?page=2'),
    );
    expect(urlKey('https://etcd.io/Docs/a')).not.toBe(urlKey('https://etcd.io/docs/a'));
  });
});
