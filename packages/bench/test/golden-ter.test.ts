import { describe, expect, it } from 'vitest';
import { BenchError } from '../src/errors.js';
import {
  corpusTer,
  createTer,
  sentenceTer,
  type TerOptions,
  TerOptionsSchema,
} from '../src/ter/ter.js';
import { casesOf, golden, withoutVersion } from './golden.js';

/** sacreBLEU's keyword names → ours. */
const OPTION_NAMES: Record<string, keyof TerOptions> = {
  normalized: 'normalized',
  no_punct: 'noPunct',
  asian_support: 'asianSupport',
  case_sensitive: 'caseSensitive',
};

function terOptions(python: Record<string, unknown>): TerOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(python)) {
    const name = OPTION_NAMES[key];
    if (name === undefined) throw new Error(`golden case uses an unmapped TER option '${key}'`);
    options[name] = value;
  }
  return options as TerOptions;
}

describe('TER equals sacreBLEU 2.6.0 on every golden case', () => {
  const cases = casesOf('TER');

  it('has the golden cases to compare', () => {
    expect(cases.length).toBe(96);
  });

  it.each(cases)('%s', (_name, golden, input) => {
    const options = terOptions(golden.options);
    const result =
      golden.level === 'corpus'
        ? corpusTer(input.hypotheses, input.references, options)
        : sentenceTer(
            input.hypotheses[0]!,
            input.references.map((stream) => stream[0]!),
            options,
          );
    expect(result.score).toBeCloseTo(golden.score, 6);
    expect(result.numEdits).toBe(golden.details.num_edits);
    expect(result.refLength).toBe(golden.details.ref_length);
    expect(withoutVersion(result.signature.format())).toBe(withoutVersion(golden.signature));
  });
});

// Real text: the references of the Prometheus-documentation golden input.
const lines = golden.inputs.set0!.references[0]!;
const words = (from: number, to: number): string[] =>
  lines
    .slice(from, to)
    .join(' ')
    .split(/\s+/)
    .filter((w) => w !== '');
const pick = (ws: readonly string[], spans: [number, number][]): string[] =>
  spans.flatMap(([a, b]) => ws.slice(a, b));

describe('TER behaviour', () => {
  it('scores a text against itself as 0', () => {
    const result = corpusTer(lines, [lines]);
    expect(result.score).toBe(0);
    expect(result.numEdits).toBe(0);
    expect(result.refLength).toBe(words(0, lines.length).length);
  });

  it('counts edits against the closest reference and divides by the average reference length', () => {
    // Expected values from sacreBLEU 2.6.0.
    const result = sentenceTer('a cat sat on a mat', [
      'the cat is on the mat',
      'a cat sat on a mat today',
    ]);
    expect(result.numEdits).toBe(1);
    expect(result.refLength).toBe(6.5);
    expect(result.score).toBeCloseTo(15.384615384615385, 10);

    const three = sentenceTer('the cat sat on the mat', [
      'the cat sat on the mat',
      'a cat sat on a mat today',
      'cat',
    ]);
    expect(three.numEdits).toBe(0);
    expect(three.refLength).toBe(14 / 3);
    expect(three.score).toBe(0);
    expect(three.signature.format({ short: true })).toMatch(
      /^#:3\|c:lc\|t:tercom\|nr:no\|pn:yes\|as:no\|v:/,
    );
  });

  it('handles empty hypotheses and references as sacreBLEU does', () => {
    // Every reference word is an edit for an empty hypothesis.
    expect(sentenceTer('', ['the cat'])).toMatchObject({ score: 100, numEdits: 2, refLength: 2 });
    // An empty reference: every hypothesis word is an edit, and the score is 100, not infinity.
    expect(sentenceTer('the cat', [''])).toMatchObject({ score: 100, numEdits: 2, refLength: 0 });
    expect(sentenceTer('', [''])).toMatchObject({ score: 0, numEdits: 0, refLength: 0 });
    // In a corpus the edits and lengths simply add up: (0 + 2 + 3) / (2 + 2 + 0).
    const corpus = corpusTer(['the cat', '', 'x y z'], [['the cat', 'a b', '']]);
    expect(corpus).toMatchObject({ score: 125, numEdits: 5, refLength: 4 });
  });

  it('does not depend on the order of the segments', () => {
    for (const name of ['set34', 'set35']) {
      const { hypotheses, references } = golden.inputs[name]!;
      const order = hypotheses.map((_, j) => j).reverse();
      order.push(order.shift()!);
      const shuffled = corpusTer(
        order.map((j) => hypotheses[j]!),
        references.map((stream) => order.map((j) => stream[j]!)),
      );
      const original = corpusTer(hypotheses, references);
      expect(shuffled.numEdits).toBe(original.numEdits);
      expect(shuffled.refLength).toBe(original.refLength);
      expect(shuffled.score).toBe(original.score);
    }
  });

  describe('long sentences, where the beam, shift distance and candidate limits apply', () => {
    const paragraph = words(0, 12); // 128 words
    const reversedChunks = (n: number): [number, number][] => {
      const spans: [number, number][] = [];
      for (let i = n - 3; i >= 0; i -= 3) spans.push([i, i + 3]);
      return spans;
    };
    // [name, hypothesis words, reference words, edits, reference length, score]; expected values
    // computed with sacreBLEU 2.6.0 (`TER().sentence_score`).
    const cases: [string, string[], string[], number, number, number][] = [
      [
        'halves swapped: blocks 64 words away cannot be shifted',
        pick(paragraph, [
          [64, 128],
          [0, 64],
        ]),
        paragraph,
        113,
        128,
        88.28125,
      ],
      [
        'local block moves and every 11th word dropped',
        pick(paragraph, [
          [10, 20],
          [0, 10],
          [30, 45],
          [20, 30],
          [45, 128],
        ]).filter((_, i) => i % 11 !== 10),
        paragraph,
        14,
        128,
        10.9375,
      ],
      [
        '2 words against 128: the beam widens',
        paragraph.slice(60, 62),
        paragraph,
        127,
        128,
        99.21875,
      ],
      [
        '95 words against 18',
        words(12, 20),
        pick(words(13, 15), [
          [9, 18],
          [0, 9],
        ]),
        78,
        18,
        433.3333333333333,
      ],
      [
        '128 words in reversed 3-word chunks: the 1000-candidate limit ends the search',
        pick(paragraph, [[126, 129], ...reversedChunks(126)]),
        paragraph,
        118,
        128,
        92.1875,
      ],
      [
        '60 words in reversed 3-word chunks',
        pick(paragraph, reversedChunks(60)),
        paragraph.slice(0, 60),
        49,
        60,
        81.66666666666667,
      ],
    ];

    it.each(cases)('%s', (_name, hypothesis, reference, edits, refLength, score) => {
      const result = sentenceTer(hypothesis.join(' '), [reference.join(' ')]);
      expect(result.numEdits).toBe(edits);
      expect(result.refLength).toBe(refLength);
      expect(result.score).toBeCloseTo(score, 10);
    });
  });

  it('tokenizes like sacreBLEU: Python whitespace, lowercasing, entities', () => {
    // Expected values from sacreBLEU 2.6.0. U+001C separates words in Python, U+FEFF does not.
    expect(sentenceTer('a\u001cb', ['a b']).numEdits).toBe(0);
    expect(sentenceTer('a\ufeffb', ['a b']).numEdits).toBe(2);
    expect(sentenceTer('The Cat', ['the cat']).numEdits).toBe(0);
    expect(sentenceTer('The Cat', ['the cat'], { caseSensitive: true }).numEdits).toBe(2);
    expect(sentenceTer('ΟΔΟΣ', ['οδος']).numEdits).toBe(0);
    expect(sentenceTer('fish &amp;lt; chips', ['fish < chips']).numEdits).toBe(1);
    expect(
      sentenceTer('fish &amp;lt; chips', ['fish < chips'], { normalized: true }).numEdits,
    ).toBe(0);
  });

  it('gives the same statistics when one metric instance scores many systems', () => {
    const metric = createTer();
    const { hypotheses, references } = golden.inputs.set34!;
    const prepared = references[0]!.map((ref) => metric.prepareReferences([ref]));
    const stats = new Float64Array(2);
    const fresh = new Float64Array(2);
    for (let round = 0; round < 2; round++)
      hypotheses.forEach((hyp, j) => {
        metric.segmentStatistics(hyp, prepared[j]!, stats, 0);
        createTer().segmentStatistics(hyp, prepared[j]!, fresh, 0);
        expect([...stats]).toEqual([...fresh]);
      });
  });
});

describe('TER options', () => {
  it('defaults to sacreBLEU’s defaults', () => {
    expect(TerOptionsSchema.parse({})).toEqual({
      normalized: false,
      noPunct: false,
      asianSupport: false,
      caseSensitive: false,
    });
    expect(
      createTer()
        .signatureFields()
        .map((f) => `${f.key}:${f.value}`),
    ).toEqual(['case:lc', 'tok:tercom', 'norm:no', 'punct:yes', 'asian:no']);
    expect(createTer()).toMatchObject({ id: 'ter', higherIsBetter: false, statisticsSize: 2 });
  });

  it('rejects an unknown option, pointing to the camelCase name', () => {
    const call = () => createTer({ no_punct: true } as TerOptions);
    expect(call).toThrow(BenchError);
    expect(call).toThrow(
      /unknown option 'no_punct' \(did you mean 'noPunct'\?\); TER accepts normalized, noPunct/,
    );
    try {
      call();
    } catch (error) {
      expect((error as BenchError).code).toBe('invalid-options');
    }
  });

  it('rejects a non-boolean option, naming it', () => {
    expect(() => sentenceTer('a', ['a'], { normalized: 'yes' } as unknown as TerOptions)).toThrow(
      /normalized: must be true or false, got the string 'yes'/,
    );
  });

  it('passes corpus options through to the scoring engine', () => {
    expect(() => corpusTer(['a'], [['a']], { bootstrap: 0 })).toThrow(/bootstrap/);
  });

  it('rejects a segment without any reference', () => {
    expect(() => corpusTer(['a'], [[null]])).toThrow(/at least one reference/);
  });
});
