import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusBleu, sentenceBleu } from '../src/bleu/bleu.js';
import { corpusChrf } from '../src/chrf/chrf.js';
import { BenchError } from '../src/errors.js';
import { corpusTer } from '../src/ter/ter.js';

// Real sentences: the Prometheus and etcd documentation (see bench/data/README.md).
const references = readFileSync(new URL('../bench/data/references.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 400);
const hypotheses = readFileSync(
  new URL('./fixtures/significance/system-03.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .slice(0, 200);

/** A fixed permutation of 0..n-1 (reverse interleave), enough to move every segment. */
function permutation(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? i / 2 : n - 1 - (i - 1) / 2));
}

describe('metric properties on real text', () => {
  it('a text against itself scores 100 BLEU, 100 chrF and 0 TER', () => {
    expect(corpusBleu(references, [references]).score).toBeCloseTo(100, 10);
    expect(corpusChrf(references, [references]).score).toBeCloseTo(100, 10);
    expect(corpusChrf(references, [references], { wordOrder: 2 }).score).toBeCloseTo(100, 10);
    expect(corpusTer(references, [references]).score).toBe(0);
  });

  it('reordering segments leaves every corpus score unchanged', () => {
    const refs = references.slice(0, 200);
    const order = permutation(refs.length);
    const h2 = order.map((i) => hypotheses[i]!);
    const r2 = order.map((i) => refs[i]!);
    expect(corpusBleu(h2, [r2]).score).toBe(corpusBleu(hypotheses, [refs]).score);
    expect(corpusChrf(h2, [r2]).score).toBe(corpusChrf(hypotheses, [refs]).score);
    expect(corpusTer(h2, [r2]).score).toBe(corpusTer(hypotheses, [refs]).score);
  });

  it('a worse system scores lower BLEU and chrF and higher TER', () => {
    const refs = references.slice(0, 200);
    const good = readFileSync(
      new URL('./fixtures/significance/system-01.txt', import.meta.url),
      'utf8',
    )
      .split('\n')
      .slice(0, 200);
    expect(corpusBleu(good, [refs]).score).toBeGreaterThan(corpusBleu(hypotheses, [refs]).score);
    expect(corpusChrf(good, [refs]).score).toBeGreaterThan(corpusChrf(hypotheses, [refs]).score);
    expect(corpusTer(good, [refs]).score).toBeLessThan(corpusTer(hypotheses, [refs]).score);
  });

  it('adding a second reference never lowers BLEU', () => {
    const refs = references.slice(0, 200);
    const other = references.slice(200, 400);
    expect(corpusBleu(hypotheses, [refs, other]).score).toBeGreaterThanOrEqual(
      corpusBleu(hypotheses, [refs]).score,
    );
  });
});

describe('input errors name what is wrong', () => {
  it('reference streams of different lengths name the stream and both lengths', () => {
    expect(() => corpusBleu(['a', 'b'], [['a', 'b'], ['a']])).toThrow(
      'reference stream 2 has 1 segments but the hypotheses have 2',
    );
  });

  it('a non-string hypothesis says which one', () => {
    expect(() => corpusBleu(['a', null as unknown as string], [['a', 'b']])).toThrow(
      'hypothesis 2 is null',
    );
  });

  it('unknown options are refused with the option name', () => {
    try {
      corpusBleu(['a'], [['a']], { smoothMethod: 'laplace' as 'exp' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BenchError);
      expect((error as BenchError).code).toBe('invalid-options');
      expect((error as Error).message).toContain('smoothMethod');
    }
    expect(() => corpusBleu(['a'], [['a']], { tokenizer: '13a' } as never)).toThrow(/tokenizer/);
  });

  it('null references make segments with fewer references (nrefs:var)', () => {
    const result = corpusBleu(
      ['the cat sat on the mat', 'a dog barked at the moon'],
      [
        ['the cat sat on the mat', 'a dog barked at the moon'],
        ['the cat sat on a mat', null],
      ],
    );
    expect(result.score).toBeCloseTo(100, 10);
    expect(result.signature.format()).toMatch(/^nrefs:var\|/);
  });

  it('sentenceBleu uses effective order, as sacreBLEU does', () => {
    expect(sentenceBleu('the cat', ['the cat']).signature.format()).toContain('eff:yes');
    expect(sentenceBleu('the cat', ['the cat']).score).toBeCloseTo(100, 10);
  });
});

describe('BLEU with high n-gram orders', () => {
  it('keys n-grams by string when they no longer fit 2^53, and still equals sacreBLEU', () => {
    // With max order 16 the integer keys of these segments would overflow, so this exercises
    // the string-keyed path. Expected values: sacreBLEU 2.6.0, BLEU(max_ngram_order=16).
    const refs = readFileSync(
      new URL('./fixtures/significance/reference.txt', import.meta.url),
      'utf8',
    )
      .split('\n')
      .slice(0, 40);
    const hyps = readFileSync(
      new URL('./fixtures/significance/system-03.txt', import.meta.url),
      'utf8',
    )
      .split('\n')
      .slice(0, 40);
    const result = corpusBleu(hyps, [refs], { maxNgramOrder: 16 });
    expect(result.score).toBeCloseTo(62.66917654959579, 9);
    expect(result.counts).toEqual([
      823, 719, 634, 564, 504, 454, 408, 366, 328, 292, 261, 232, 205, 182, 162, 142,
    ]);
    expect(result.totals).toEqual([
      852, 812, 772, 732, 692, 652, 612, 572, 532, 494, 456, 419, 386, 355, 326, 298,
    ]);
  });
});
