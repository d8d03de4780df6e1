import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isBenchError } from '../errors.js';
import { getTokenizer, TOKENIZERS } from './index.js';
import { rstrip, splitWhitespace, squeezeWhitespace } from '../python-text.js';

interface Case {
  input: string;
  '13a': string;
  intl: string;
  zh: string;
  char: string;
}

const cases: Case[] = JSON.parse(
  readFileSync(
    new URL('../../test/fixtures/tokenizers/sacrebleu-tokenizers.json', import.meta.url),
    'utf8',
  ),
);

describe('tokenizers equal sacreBLEU 2.6.0', () => {
  for (const name of ['13a', 'intl', 'zh', 'char'] as const)
    it.each(cases.map((c) => [JSON.stringify(c.input).slice(0, 50), c] as const))(
      `${name}: %s`,
      (_label, c) => {
        expect(TOKENIZERS[name](c.input)).toBe(c[name]);
      },
    );

  it('none leaves the line as it is', () => {
    expect(TOKENIZERS.none(' a ,b ')).toBe(' a ,b ');
  });

  it('zh splits the general punctuation block like sacreBLEU does (U+2001–U+2A6D)', () => {
    expect(TOKENIZERS.zh('a–b')).toBe('a – b');
    expect(TOKENIZERS.zh('a\u2a6eb')).toBe('a\u2a6eb');
  });
});

describe('Python whitespace semantics', () => {
  it('splits on U+001C and NEL but not on the BOM, as str.split() does', () => {
    expect(splitWhitespace('a\x1cb\x85c\ufeffd')).toEqual(['a', 'b', 'c\ufeffd']);
    expect(squeezeWhitespace('  a \t b  ')).toBe('a b');
    expect(rstrip('line\r')).toBe('line');
  });
});

describe('getTokenizer', () => {
  it('names the valid tokenizers when the name is unknown', () => {
    try {
      getTokenizer('moses');
      expect.unreachable();
    } catch (error) {
      expect(isBenchError(error, 'unknown-tokenizer')).toBe(true);
      expect((error as Error).message).toContain('13a, intl, zh, char, none');
    }
  });

  it('says why the MeCab and SentencePiece tokenizers are missing', () => {
    expect(() => getTokenizer('ja-mecab')).toThrow(/MeCab or SentencePiece/);
  });
});
