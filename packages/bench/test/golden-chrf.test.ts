import { describe, expect, it } from 'vitest';
import { type ChrfOptions, corpusChrf, createChrf, sentenceChrf } from '../src/chrf/chrf.js';
import { prepareReferences } from '../src/corpus.js';
import { isBenchError } from '../src/errors.js';
import { pythonLower } from '../src/python-text.js';
import { corpusScore, sentenceScore } from '../src/score.js';
import { casesOf, golden, withoutVersion } from './golden.js';

// Python keyword names of the golden file → our options.
function chrfOptions(options: Record<string, unknown>): ChrfOptions {
  const mapped = {
    charOrder: options.char_order,
    wordOrder: options.word_order,
    beta: options.beta,
    lowercase: options.lowercase,
    whitespace: options.whitespace,
    epsSmoothing: options.eps_smoothing,
  };
  return Object.fromEntries(Object.entries(mapped).filter(([, v]) => v !== undefined));
}

function statisticsOf(options: ChrfOptions, hypothesis: string, references: string[]): number[] {
  const metric = createChrf(options);
  const out = new Float64Array(metric.statisticsSize);
  metric.segmentStatistics(hypothesis, metric.prepareReferences(references), out, 0);
  return [...out];
}

// Real text: the first golden input (documentation lines with edited hypotheses).
const docs = golden.inputs.set0!;

describe('chrF equals sacreBLEU 2.6.0 on every golden case', () => {
  it.each(casesOf('CHRF'))('%s', (_name, golden, input) => {
    const metric = createChrf(chrfOptions(golden.options));
    const result =
      golden.level === 'corpus'
        ? corpusScore(metric, input.hypotheses, input.references)
        : sentenceScore(
            metric,
            input.hypotheses[0]!,
            input.references.map((stream) => stream[0]!),
          );
    const d = golden.details as Record<string, number>;
    expect(Math.abs(result.score - golden.score)).toBeLessThanOrEqual(1e-6);
    expect(withoutVersion(result.signature.format())).toBe(withoutVersion(golden.signature));
    expect(result.charOrder).toBe(d.char_order);
    expect(result.wordOrder).toBe(d.word_order);
    expect(result.beta).toBe(d.beta);
    expect(result.name).toBe(`chrF${d.beta}${'+'.repeat(d.word_order!)}`);
  });
});

describe('chrF behaviour', () => {
  it('scores a text against itself 100, for chrF and chrF++', () => {
    for (const options of [{}, { wordOrder: 2 }, { whitespace: true, lowercase: true }]) {
      const refs = docs.references[0]!;
      expect(corpusChrf(refs, [refs], options).score).toBe(100);
      expect(sentenceChrf(refs[3]!, [refs[3]!], options).score).toBe(100);
    }
  });

  it('names the score and orders the signature as sacreBLEU does', () => {
    const plus = sentenceChrf('a', ['a'], { wordOrder: 2 });
    expect(plus.name).toBe('chrF2++');
    expect(plus.signature.format({ short: true })).toMatch(
      /^#:1\|c:mixed\|e:yes\|nc:6\|nw:2\|s:no\|v:[^|]+$/,
    );
    const custom = corpusChrf(['a'], [['a'], ['b']], {
      lowercase: true,
      whitespace: true,
      epsSmoothing: true,
      beta: 3,
      charOrder: 4,
    });
    expect(custom.name).toBe('chrF3');
    expect(custom.verbose).toBe('');
    expect(withoutVersion(custom.signature.format())).toBe(
      'nrefs:2|case:lc|eff:no|nc:4|nw:0|space:yes',
    );
  });

  it('scores each segment against its best reference', () => {
    const hypothesis = docs.hypotheses[4]!;
    const good = docs.references[0]![4]!;
    const bad = docs.references[0]![40]!;
    const alone = sentenceChrf(hypothesis, [good]).score;
    expect(alone).toBeGreaterThan(sentenceChrf(hypothesis, [bad]).score);
    expect(sentenceChrf(hypothesis, [bad, good]).score).toBe(alone);
    expect(sentenceChrf(hypothesis, [good, bad]).score).toBe(alone);
    expect(sentenceChrf(hypothesis, [bad, good], { wordOrder: 2 }).score).toBe(
      sentenceChrf(hypothesis, [good], { wordOrder: 2 }).score,
    );
  });

  it('keeps the first reference when two give the same F-score (sacreBLEU 2.6.0)', () => {
    // Both references give chrF2 = 20.833... with different statistics (values from sacreBLEU
    // 2.6.0); which one is kept changes corpus sums, so the tie rule is observable.
    const first = [4, 3, 2, 3, 2, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const second = [4, 4, 2, 3, 3, 1, 2, 2, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    expect(statisticsOf({}, 'abca', ['aaa', 'abbb'])).toEqual(first);
    expect(statisticsOf({}, 'abca', ['abbb', 'aaa'])).toEqual(second);
    expect(sentenceChrf('abca', ['aaa', 'abbb']).score).toBeCloseTo(20.833333333333332, 12);
  });

  it('handles empty hypotheses and references as sacreBLEU does', () => {
    // Expected values from sacreBLEU 2.6.0.
    expect(sentenceChrf('', ['Ein Haus.']).score).toBe(0);
    expect(sentenceChrf('Ein Haus.', ['']).score).toBe(0);
    expect(sentenceChrf('', ['']).score).toBe(0);
    expect(sentenceChrf('', ['Ein Haus.'], { epsSmoothing: true }).score).toBe(0);
    // An empty reference makes sacreBLEU count no hypothesis n-grams either.
    expect(statisticsOf({}, 'Ein Haus.', [''])).toEqual(new Array(18).fill(0));
    const corpus = corpusChrf(
      ['Das Haus ist klein.', '', 'Er kam.'],
      [['Das Haus ist sehr klein.', 'Es regnet.', '']],
    );
    expect(corpus.score).toBeCloseTo(48.987417037745686, 12);
  });

  it('scores a segment without any reference as all zeros', () => {
    const metric = createChrf();
    const out = new Float64Array(metric.statisticsSize).fill(7);
    metric.segmentStatistics('Ein Haus.', metric.prepareReferences([]), out, 0);
    expect([...out]).toEqual(new Array(18).fill(0));
  });

  it('applies epsilon smoothing like sacreBLEU', () => {
    // Expected values from sacreBLEU 2.6.0.
    const cases: [string, string, ChrfOptions, number][] = [
      ['The cat sat on the mat.', 'The cat is on the mat.', {}, 67.17273492330233],
      [
        'The cat sat on the mat.',
        'The cat is on the mat.',
        { epsSmoothing: true },
        67.17213028744214,
      ],
      [
        'The cat sat on the mat.',
        'The cat is on the mat.',
        { epsSmoothing: true, wordOrder: 2 },
        69.42671676320066,
      ],
      ['ab', 'abcdefgh', {}, 23.404255319148938],
      ['ab', 'abcdefgh', { epsSmoothing: true }, 7.775524002704529],
      ['ab', 'abcdefgh', { epsSmoothing: true, wordOrder: 2 }, 5.8316430020284],
      ['Hello world', 'Goodbye moon', {}, 6.172839506172839],
      ['Hello world', 'Goodbye moon', { epsSmoothing: true }, 6.172839506172848],
      ['Hello world', 'Goodbye moon', { epsSmoothing: true, wordOrder: 2 }, 4.629629629629639],
    ];
    for (const [hypothesis, reference, options, expected] of cases)
      expect(sentenceChrf(hypothesis, [reference], options).score).toBeCloseTo(expected, 12);
    const corpus = corpusChrf(
      ['The cat sat on the mat.', 'ab'],
      [['The cat is on the mat.', 'abcdefgh']],
      { epsSmoothing: true },
    );
    expect(corpus.score).toBeCloseTo(53.336069209774514, 12);
  });

  it('gives the same corpus score whatever the order of the segments', () => {
    const order = docs.hypotheses.map((_, i) => i).reverse();
    order.push(...order.splice(0, 100));
    const hypotheses = order.map((i) => docs.hypotheses[i]!);
    const references = docs.references.map((stream) => order.map((i) => stream[i]!));
    for (const options of [{}, { wordOrder: 2 }])
      expect(corpusChrf(hypotheses, references, options).score).toBe(
        corpusChrf(docs.hypotheses, docs.references, options).score,
      );
  });

  it('reuses prepared references across systems without changing them', () => {
    const metric = createChrf({ wordOrder: 2 });
    const prepared = prepareReferences(metric, docs.references);
    const reversed = docs.hypotheses.map((h) => h.split(' ').reverse().join(' '));
    const first = corpusScore(metric, docs.hypotheses, prepared).score;
    expect(corpusScore(metric, reversed, prepared).score).toBe(
      corpusChrf(reversed, docs.references, { wordOrder: 2 }).score,
    );
    expect(corpusScore(metric, docs.hypotheses, prepared).score).toBe(first);
  });

  it('counts characters as Python does: code points, not UTF-16 units', () => {
    // 'a😀b👍🏽' is 5 code points (the skin tone is its own), 7 UTF-16 units.
    expect(statisticsOf({}, 'a😀b👍🏽', ['a😀b'])).toEqual([
      5, 3, 3, 4, 2, 2, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    // Expected values from sacreBLEU 2.6.0.
    const cases: [string, string, ChrfOptions, number][] = [
      ['Die Straße ist nass.', 'Die Strasse ist naß.', {}, 61.271367521367516],
      ['Die Straße ist nass.', 'Die Strasse ist naß.', { wordOrder: 2 }, 53.453525641025635],
      ['ÄPFEL UND BIRNEN', 'Äpfel und Birnen', {}, 2.380952380952381],
      ['ÄPFEL UND BIRNEN', 'Äpfel und Birnen', { wordOrder: 2 }, 1.7857142857142856],
      ['ÄPFEL UND BIRNEN', 'Äpfel und Birnen', { lowercase: true }, 100],
      ['我们今天去公园散步。', '今天我们去公园散步了。', {}, 38.044132326994756],
      ['我们今天去公园散步。', '今天我们去公园散步了。', { wordOrder: 2 }, 32.609256280281215],
      ['Great job 👍🏽😀', 'Great job 👍😀!', {}, 76.96368446368447],
      ['Great job 👍🏽😀', 'Great job 👍😀!', { wordOrder: 2 }, 68.93389850404293],
      ['𠮷野家で食べた', '𠮷野家で食事した', {}, 42.589553303839025],
      ['𠮷野家で食べた', '𠮷野家で食事した', { wordOrder: 2 }, 36.5053314032906],
    ];
    for (const [hypothesis, reference, options, expected] of cases)
      expect(sentenceChrf(hypothesis, [reference], options).score).toBeCloseTo(expected, 12);
  });

  it("removes exactly Python's whitespace", () => {
    // Expected values from sacreBLEU 2.6.0: U+001C is whitespace to Python, the BOM is not.
    expect(sentenceChrf('a\x1cb c', ['abc']).score).toBe(100);
    expect(sentenceChrf('a\ufeffb c', ['abc']).score).toBeCloseTo(46.42857142857143, 12);
    expect(sentenceChrf('a\u00a0b', ['a b'], { whitespace: true }).score).toBeCloseTo(
      22.22222222222222,
      12,
    );
  });

  it("lowercases as Python 3.11's str.lower() does", () => {
    // Expected values from sacreBLEU 2.6.0 on Python 3.11.
    expect(sentenceChrf('ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ', ['οδος και σοφια'], { lowercase: true }).score).toBe(100);
    expect(
      sentenceChrf('ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ', ['οδοσ και σοφια'], { lowercase: true }).score,
    ).toBeCloseTo(65.3162578162578, 12);
    expect(sentenceChrf('İstanbul', ['istanbul'], { lowercase: true }).score).toBeCloseTo(
      78.7749365155941,
      12,
    );
    // U+A7CB is a capital only since Unicode 16; Python 3.11 keeps it.
    expect(sentenceChrf('\ua7cbx', ['\u0264x'], { lowercase: true }).score).toBe(25);
  });

  it('maps every code point the way Python 3.11 lowercases it', () => {
    // Count and checksum of all code points whose lowercase differs, computed with Python 3.11.
    // If this fails, Node's Unicode tables changed: update NEWER_UPPERCASE in python-text.ts.
    const prime = 1_000_000_007;
    let changed = 0;
    let checksum = 0;
    for (let c = 0; c < 0x110000; c++) {
      if (c >= 0xd800 && c < 0xe000) continue;
      const char = String.fromCodePoint(c);
      const lower = pythonLower(char);
      if (lower === char) continue;
      changed++;
      checksum = (checksum * 31 + c) % prime;
      for (const l of lower) checksum = (checksum * 31 + l.codePointAt(0)!) % prime;
    }
    expect([changed, checksum]).toEqual([1433, 53490020]);
  });

  it('splits punctuation off words for chrF++ as sacreBLEU does', () => {
    // Expected value from sacreBLEU 2.6.0: '(hi)' becomes '(hi' and ')'.
    expect(
      sentenceChrf('(hi) there, you', ['(hi there , you'], { wordOrder: 2 }).score,
    ).toBeCloseTo(69.7495674021348, 12);
  });

  it('rejects invalid options with an invalid-options error naming the option', () => {
    const bad: [unknown, RegExp][] = [
      [{ charOrder: -1 }, /charOrder: must be a whole number from 0 to 64/],
      [{ charOrder: 2.5 }, /charOrder: must be a whole number from 0 to 64/],
      [{ wordOrder: 'two' }, /wordOrder: must be a whole number from 0 to 64 \(0 for chrF/],
      [{ beta: -2 }, /beta: must be a whole number from 0 to 1000/],
      [{ lowercase: 'yes' }, /lowercase: must be true or false/],
      [
        { char_order: 4 },
        /unknown option 'char_order' \(did you mean 'charOrder'\?\); chrF accepts charOrder/,
      ],
      [{ charOrder: 0, wordOrder: 0 }, /both 0/],
    ];
    for (const [options, message] of bad) {
      let caught: unknown;
      try {
        createChrf(options as ChrfOptions);
      } catch (error) {
        caught = error;
      }
      expect(isBenchError(caught, 'invalid-options')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
