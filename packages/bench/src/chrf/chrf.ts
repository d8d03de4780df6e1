import * as z from 'zod/mini';
import type { ReferenceStreams, ScoreResult } from '../corpus.js';
import type { BaseScore, Metric } from '../metric.js';
import { parseOptions } from '../options.js';
import { codePointsOf, pythonLower } from '../python-text.js';
import { type CorpusScoreOptions, corpusScore, sentenceScore } from '../score.js';
import { type SignatureField, yesNo } from '../signature.js';
import { MatchScratch, NgramTrie } from './ngram-trie.js';
import { WordVocabulary } from './word-vocabulary.js';

function wholeNumber(min: number, max: number, hint: string) {
  const error = `must be a whole number from ${min} to ${max} (${hint})`;
  return z.number({ error }).check(z.int({ error }), z.gte(min, { error }), z.lte(max, { error }));
}

/** chrF options, validated with zod; names are sacreBLEU's in camelCase. */
export const ChrfOptionsSchema = z
  .strictObject({
    /**
     * Highest character n-gram order.
     * @default 6
     */
    charOrder: z._default(wholeNumber(0, 64, '6 is standard'), 6),
    /**
     * Highest word n-gram order: 0 is chrF, 2 is chrF++.
     * @default 0
     */
    wordOrder: z._default(wholeNumber(0, 64, '0 for chrF, 2 for chrF++'), 0),
    /**
     * Weight of recall relative to precision in the F-score.
     * @default 2
     */
    beta: z._default(wholeNumber(0, 1000, '2 is standard'), 2),
    /**
     * Lowercase hypotheses and references first (Python's `str.lower()`).
     * @default false
     */
    lowercase: z._default(z.boolean({ error: 'must be true or false' }), false),
    /**
     * Keep whitespace inside character n-grams instead of deleting it first.
     * @default false
     */
    whitespace: z._default(z.boolean({ error: 'must be true or false' }), false),
    /**
     * Average the per-order F-scores with 1e-16 for empty orders (chrF++.py, Moses, NLTK)
     * instead of sacreBLEU's default of averaging precision and recall over the orders that
     * have n-grams on both sides.
     * @default false
     */
    epsSmoothing: z._default(z.boolean({ error: 'must be true or false' }), false),
  })
  .check(
    z.refine((o) => o.charOrder + o.wordOrder > 0, {
      error: 'charOrder and wordOrder are both 0, so there is nothing to count: set charOrder to 6',
    }),
  );

/** Options accepted by {@link createChrf} (all optional). */
export type ChrfOptions = z.input<typeof ChrfOptionsSchema>;

/** A chrF or chrF++ score. */
export interface ChrfScore extends BaseScore {
  /** `chrF<beta>` followed by one `+` per word order: `chrF2`, `chrF2++`. */
  readonly name: string;
  /** Highest character n-gram order. */
  readonly charOrder: number;
  /** Highest word n-gram order. */
  readonly wordOrder: number;
  /** Weight of recall relative to precision. */
  readonly beta: number;
  /** chrF prints nothing after the score. */
  readonly verbose: '';
}

/** One reference segment indexed for chrF. */
interface IndexedReference {
  readonly chars: NgramTrie;
  readonly words: NgramTrie | undefined;
}

/**
 * The references of one segment as {@link createChrf}'s metric prepares them: an index of every
 * character (and word) n-gram of each reference. Opaque; build it with `prepareReferences`.
 */
export interface ChrfReferences {
  readonly references: readonly IndexedReference[];
  /** Ids of the words of the segment's references (chrF++ only). */
  readonly vocabulary: WordVocabulary | undefined;
}

const EPS = 1e-16;

/**
 * The chrF F-score (0–100) of statistics laid out as [hyp, ref, match] per order, character
 * orders first. The operations follow sacreBLEU's order so results agree to the last bit.
 */
function fScore(
  stats: ArrayLike<number>,
  offset: number,
  orders: number,
  beta: number,
  epsSmoothing: boolean,
): number {
  const factor = beta * beta;
  let smoothed = 0;
  let precisionSum = 0;
  let recallSum = 0;
  let effectiveOrder = 0;
  for (let n = 0; n < orders; n++) {
    const at = offset + 3 * n;
    const hyp = stats[at]!;
    const ref = stats[at + 1]!;
    const match = stats[at + 2]!;
    const precision = hyp > 0 ? match / hyp : EPS;
    const recall = ref > 0 ? match / ref : EPS;
    if (epsSmoothing) {
      const denominator = factor * precision + recall;
      smoothed += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : EPS;
    } else if (hyp > 0 && ref > 0) {
      precisionSum += precision;
      recallSum += recall;
      effectiveOrder++;
    }
  }
  if (epsSmoothing) return (100 * smoothed) / orders;
  if (effectiveOrder === 0) return 0;
  const precision = precisionSum / effectiveOrder;
  const recall = recallSum / effectiveOrder;
  if (precision + recall === 0) return 0;
  return 100 * (((1 + factor) * precision * recall) / (factor * precision + recall));
}

/**
 * Creates a chrF metric (Popović, 2015), or chrF++ (Popović, 2017) with `wordOrder: 2`,
 * computed exactly as sacreBLEU 2.6.0 does. Characters are Unicode code points, as in Python.
 * With several references, each segment is scored against the reference that gives it the best
 * F-score (the first one on ties). A segment without references counts as all zeros.
 *
 * @param options - see {@link ChrfOptionsSchema}; the defaults (`charOrder` 6, `wordOrder` 0,
 *   `beta` 2, no lowercasing, whitespace removed, effective-order averaging) give sacreBLEU's chrF2.
 * @throws `BenchError` with code `invalid-options`, naming the option that is wrong.
 *
 * @example
 * const chrf = createChrf({ wordOrder: 2 });
 * const prepared = prepareReferences(chrf, [references]); // once, reused for every system
 * corpusScore(chrf, hypotheses, prepared).score
 */
export function createChrf(options: ChrfOptions = {}): Metric<ChrfScore, ChrfReferences> {
  const { charOrder, wordOrder, beta, lowercase, whitespace, epsSmoothing } = parseOptions(
    ChrfOptionsSchema,
    options,
    'chrF',
  );
  const orders = charOrder + wordOrder;
  const size = 3 * orders;
  const name = `chrF${beta}${'+'.repeat(wordOrder)}`;
  const scratch = new MatchScratch();
  const matches = new Int32Array(Math.max(charOrder, wordOrder));
  const candidate = new Float64Array(size);
  const best = new Float64Array(size);
  let chars = new Int32Array(256);
  let words = new Int32Array(256);
  let charCount = 0;
  let wordCount = 0;

  const normalize = (text: string) => (lowercase ? pythonLower(text) : text);

  // Reads `text` into `chars`, and its word ids into `words`: a reference adds its new words to
  // the vocabulary, a hypothesis word that no reference has gets -1 and never matches.
  const read = (text: string, vocabulary: WordVocabulary | undefined, isReference: boolean) => {
    if (chars.length < text.length) {
      chars = new Int32Array(text.length * 2);
      words = new Int32Array(text.length * 2);
    }
    charCount = codePointsOf(text, whitespace, chars);
    wordCount = vocabulary ? vocabulary.encode(text, isReference, words) : 0;
  };

  // Writes one block of [hyp, ref, match]×order of the read hypothesis against `trie`.
  const writeOrders = (
    trie: NgramTrie,
    symbols: Int32Array,
    length: number,
    out: Float64Array,
    at: number,
  ) => {
    const order = trie.maxOrder;
    matches.fill(0, 0, order);
    trie.countMatches(symbols, length, scratch, matches);
    for (let n = 0; n < order; n++) {
      const refTotal = trie.total(n + 1);
      // sacreBLEU counts no hypothesis n-grams for an order the reference has none of.
      out[at + 3 * n] = refTotal > 0 ? Math.max(0, length - n) : 0;
      out[at + 3 * n + 1] = refTotal;
      out[at + 3 * n + 2] = matches[n]!;
    }
  };

  const writeStatistics = (reference: IndexedReference, out: Float64Array, at: number) => {
    writeOrders(reference.chars, chars, charCount, out, at);
    if (reference.words) writeOrders(reference.words, words, wordCount, out, at + 3 * charOrder);
  };

  return {
    id: 'chrf',
    name,
    higherIsBetter: true,
    statisticsSize: size,

    prepareReferences(references) {
      const vocabulary = wordOrder > 0 ? new WordVocabulary() : undefined;
      const indexed = references.map((reference): IndexedReference => {
        read(normalize(reference), vocabulary, true);
        return {
          chars: new NgramTrie(chars, charCount, charOrder),
          words: wordOrder > 0 ? new NgramTrie(words, wordCount, wordOrder) : undefined,
        };
      });
      return { references: indexed, vocabulary };
    },

    segmentStatistics(hypothesis, prepared, out, offset) {
      const { references, vocabulary } = prepared;
      if (references.length === 0) {
        out.fill(0, offset, offset + size);
        return;
      }
      read(normalize(hypothesis), vocabulary, false);
      if (references.length === 1) {
        writeStatistics(references[0]!, out, offset);
        return;
      }
      let bestScore = -1;
      for (const reference of references) {
        writeStatistics(reference, candidate, 0);
        const score = fScore(candidate, 0, orders, beta, epsSmoothing);
        if (score > bestScore) {
          bestScore = score;
          best.set(candidate);
        }
      }
      out.set(best, offset);
    },

    scoreFromStatistics(statistics, offset = 0) {
      const score = fScore(statistics, offset, orders, beta, epsSmoothing);
      return { name, score, charOrder, wordOrder, beta, verbose: '' };
    },

    signatureFields(): SignatureField[] {
      return [
        { key: 'case', short: 'c', value: lowercase ? 'lc' : 'mixed' },
        { key: 'eff', short: 'e', value: yesNo(!epsSmoothing) },
        { key: 'nc', short: 'nc', value: String(charOrder) },
        { key: 'nw', short: 'nw', value: String(wordOrder) },
        { key: 'space', short: 's', value: yesNo(whitespace) },
      ];
    },
  };
}

/**
 * Corpus chrF of `hypotheses` against reference streams (`references[i][j]`: stream i,
 * segment j), equal to sacreBLEU's `corpus_chrf`: statistics are summed over segments and the
 * F-score computed once. Pass `wordOrder: 2` for chrF++.
 *
 * @param options - chrF options ({@link ChrfOptionsSchema}, defaults give chrF2) plus `bootstrap`
 *   and `seed` for a confidence interval (default: none).
 *
 * @example
 * corpusChrf(['The cat sat.'], [['The cat sat on the mat.']]).score
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: ChrfOptions & CorpusScoreOptions = {},
): ScoreResult<ChrfScore> {
  const { bootstrap, seed, ...chrfOptions } = options;
  return corpusScore(createChrf(chrfOptions), hypotheses, references, { bootstrap, seed });
}

/**
 * chrF of one hypothesis against its references (one string per reference), equal to
 * sacreBLEU's `sentence_chrf`.
 *
 * @param options - chrF options ({@link ChrfOptionsSchema}); the defaults give chrF2.
 *
 * @example
 * sentenceChrf('The cat sat.', ['The cat sat on the mat.']).score
 */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  options: ChrfOptions = {},
): ScoreResult<ChrfScore> {
  return sentenceScore(createChrf(options), hypothesis, references);
}
