import { describe, expect, it } from 'vitest';
import { loadDocuments } from '../../test/fixtures/dedup/plant.js';
import { exactKey } from './exact-key.js';
import { hashUnits, hashWord, normaliseForExactMatch, TextScanner, words } from './scan.js';

// MurmurHash3 x86_128 (seed 0) of the UTF-16LE bytes, from an independent implementation:
// Python's mmh3 5.3.0, `mmh3.hash_bytes(text.encode('utf-16-le'), 0, False)`, read as four
// little-endian 32-bit words.
const MURMUR_VECTORS: [string, string][] = [
  ['', '00000000 00000000 00000000 00000000'],
  ['a', '033bb196 ccef4fe1 ccef4fe1 ccef4fe1'],
  ['ab', '260fb953 af22b6fd af22b6fd af22b6fd'],
  ['abc', '2b5b97a3 20f75fb5 5012c2b4 5012c2b4'],
  ['hello world', '8fbe58e5 56ee3f7d af2876b5 e2608236'],
  [
    'etcd is a strongly consistent, distributed key-value store',
    'cfd7304e 8304e7de 38eb909a 69e2ab8b',
  ],
  ['école 東京 😀', 'e4e93e37 19057e78 e664bc9b 464083bd'],
];

// Texts that leave the fast path: decomposed accents, Greek final sigma, dotted capital I,
// astral CJK and emoji, Hangul in jamo, lone surrogates, odd whitespace, full-width forms.
const TRICKY = [
  'ΟΔΟΣ ΣΟΦΙΑΣ and ΣΑΣ',
  'İstanbul İZMİR',
  'e\u0301cole and école',
  '𠀋𠀌 rare ideographs, emoji 😀 here',
  'tab\tand\u00a0nbsp\u2003em\u3000ideographic space',
  'lone \ud800 high and \udc00 low surrogates',
  'ＡＢＣ１２３ full width',
  '한국어 텍스트 and \u1112\u1161\u11ab jamo',
  'ǅemal ǈ titlecase',
  'العربية نص',
  '東京の天気はひらがなとカタカナ',
  '   leading and trailing   ',
  '',
  '...!!! ---',
];

function scanned(text: string, normaliseNumbers = true) {
  const scanner = new TextScanner({ normaliseNumbers });
  scanner.scan(text);
  return {
    words: [...scanner.wordHashes.subarray(0, scanner.wordCount)],
    exact: [...scanner.exact],
  };
}

describe('words', () => {
  it('splits at anything but letters, marks, digits and _, lower-cased, numbers as 0', () => {
    expect(
      words('Hello, World! etcd v3.6 uses max_request_bytes (1.5 MiB).', {
        normaliseNumbers: true,
      }),
    ).toEqual(['hello', 'world', 'etcd', 'v0', '0', 'uses', 'max_request_bytes', '0', '0', 'mib']);
    expect(words('etcd v3.6', { normaliseNumbers: false })).toEqual(['etcd', 'v3', '6']);
  });

  it('keeps non-ASCII letters and makes each CJK ideograph or kana a word', () => {
    expect(words('Café naïve 東京の天気 한국어', { normaliseNumbers: true })).toEqual([
      'café',
      'naïve',
      '東',
      '京',
      'の',
      '天',
      '気',
      '한국어',
    ]);
    expect(words('e\u0301cole', { normaliseNumbers: true })).toEqual(['école']);
  });
});

const documents = loadDocuments();

describe('TextScanner', () => {
  const texts = [...documents.map((document) => document.markdown), ...TRICKY];

  it('hashes the same words as `words` on every real page and on tricky text', () => {
    for (const text of texts) {
      for (const normaliseNumbers of [true, false]) {
        const expected = words(text, { normaliseNumbers }).map(hashWord);
        expect(scanned(text, normaliseNumbers).words).toEqual(expected);
      }
    }
  });

  it('hashes exactly the text that normaliseForExactMatch produces', () => {
    for (const text of texts) {
      expect(scanned(text).exact).toEqual([...hashUnits(normaliseForExactMatch(text))]);
    }
    // Every length of the last, partial block.
    for (let length = 0; length < 20; length += 1) {
      const text = 'abcdefghijklmnopqrst'.slice(0, length);
      expect(scanned(text).exact).toEqual([...hashUnits(text)]);
    }
  });

  it('gives the same result when reused, whatever it scanned before', () => {
    const scanner = new TextScanner({ normaliseNumbers: true });
    scanner.scan((documents[20] as { markdown: string }).markdown);
    scanner.scan('short text');
    expect([...scanner.wordHashes.subarray(0, scanner.wordCount)]).toEqual(
      scanned('short text').words,
    );
    expect([...scanner.exact]).toEqual(scanned('short text').exact);
  });
});

describe('hashUnits', () => {
  it('is MurmurHash3 x86_128 of the UTF-16LE bytes', () => {
    for (const [text, words] of MURMUR_VECTORS) {
      expect([...hashUnits(text)].map((word) => word.toString(16).padStart(8, '0')).join(' ')).toBe(
        words,
      );
    }
  });
});

describe('exactKey', () => {
  it('is the canonical hex of the hash of the normalised text', () => {
    // 'Hello   World' normalises to 'hello world'; bytes of 8fbe58e5 … little-endian first.
    expect(exactKey('Hello   World')).toBe('e558be8f7d3fee56b57628af368260e2');
  });

  it('ignores case, whitespace runs, leading and trailing space, and Unicode composition', () => {
    const key = exactKey('Hello   World\n\nof etcd');
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(exactKey('  hello world of ETCD\t')).toBe(key);
    expect(exactKey('e\u0301cole')).toBe(exactKey('école'));
    expect(exactKey('ΟΔΟΣ')).toBe(exactKey('οδος'));
  });

  it('keeps punctuation, numbers and every word', () => {
    const key = exactKey('a = b;');
    expect(exactKey('a = b')).not.toBe(key);
    expect(exactKey('a = c;')).not.toBe(key);
    expect(exactKey('etcd v3.5')).not.toBe(exactKey('etcd v3.6'));
    expect(exactKey('')).not.toBe(exactKey(' x '));
  });

  it('gives distinct keys to distinct normalised texts of the real pages and their paragraphs', () => {
    const byNormalised = new Map<string, string>();
    for (const document of documents) {
      for (const part of [document.markdown, ...document.markdown.split(/\n{2,}/)]) {
        byNormalised.set(normaliseForExactMatch(part), exactKey(part));
      }
    }
    expect(byNormalised.size).toBeGreaterThan(5000);
    expect(new Set(byNormalised.values()).size).toBe(byNormalised.size);
  });
});
