import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isBenchError } from '../errors.js';
import { rstrip, splitWhitespace, squeezeWhitespace } from '../python-text.js';
import { SpanBuffer } from '../span-vocabulary.js';
import { getTokenizer, TOKENIZERS } from './index.js';
import { mtevalJoined, tokenizer13a } from './tokenizer-13a.js';

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

// sacreBLEU's 13a as it is written: entity unescaping, padding, then four regex substitutions.
// The oracle the scanner is checked against.
function tokenize13aWithRegexes(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&'))
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  return mtevalWithRegexes(` ${text} `);
}

function mtevalWithRegexes(text: string): string {
  return squeezeWhitespace(
    text
      .replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
      .replace(/([^0-9])([.,])/g, '$1 $2 ')
      .replace(/([.,])([^0-9])/g, ' $1 $2')
      .replace(/([0-9])(-)/g, '$1 $2 '),
  );
}

describe('the 13a scanner equals the regex substitutions it replaces', () => {
  // A small seeded generator: lines dense in what the rules look at (digits next to periods,
  // commas and dashes, symbols, entities, every kind of whitespace), plus ordinary words.
  function* lines(count: number): Generator<string> {
    let seed = 20240611;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const pieces = [
      'a',
      'Zq',
      'word',
      '7',
      '42',
      '3.5',
      '.',
      ',',
      '-',
      '--',
      '..',
      '.,',
      ',-',
      '1,000',
      '10-20',
      ' ',
      '  ',
      '\t',
      '\u00a0',
      '\u2003',
      '\x1c',
      '\u3000',
      '(',
      ')',
      '"',
      "'",
      '&',
      '&amp;',
      '&quot;',
      '<skipped>',
      '/',
      ':',
      '?',
      '%',
      '$',
      '~',
      '`',
      '_',
      'é',
      '–',
      '。',
      '😀',
      '\n',
      '-\n',
    ];
    for (let i = 0; i < count; i++) {
      let line = '';
      const len = Math.floor(next() * 24);
      for (let j = 0; j < len; j++) line += pieces[Math.floor(next() * pieces.length)];
      yield line;
    }
  }

  const spans = new SpanBuffer();

  it('on 20,000 generated lines', () => {
    let checked = 0;
    for (const line of lines(20_000)) {
      expect(tokenizer13a(line), JSON.stringify(line)).toBe(tokenize13aWithRegexes(line));
      const text = tokenizer13a.spans(line, spans);
      const tokens = Array.from({ length: spans.count }, (_, k) =>
        text.substring(spans.starts[k]!, spans.ends[k]!),
      );
      expect(tokens).toEqual(splitWhitespace(tokenize13aWithRegexes(line)));
      checked++;
    }
    expect(checked).toBe(20_000);
  });

  it('without padding too (as zh applies the rules), on 20,000 generated lines', () => {
    for (const line of lines(20_000))
      expect(mtevalJoined(line, false), JSON.stringify(line)).toBe(mtevalWithRegexes(line));
  });

  it('on every line of the benchmark corpus (real documentation text)', () => {
    const corpus = readFileSync(
      new URL('../../bench/data/references.txt', import.meta.url),
      'utf8',
    ).split('\n');
    for (const line of corpus) expect(tokenizer13a(line)).toBe(tokenize13aWithRegexes(line));
  });
});
