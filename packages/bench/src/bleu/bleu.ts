import * as z from 'zod/mini';
import type { ReferenceStreams, ScoreResult } from '../corpus.js';
import { formatFixed } from '../format.js';
import type { BaseScore, Metric } from '../metric.js';
import { parseOptions } from '../options.js';
import { pythonLower, rstrip } from '../python-text.js';
import { type CorpusScoreOptions, corpusScore, sentenceScore } from '../score.js';
import { type SignatureField, yesNo } from '../signature.js';
import { getTokenizer, TOKENIZERS } from '../tokenizers/index.js';
import { indexReferences, matchHypothesis, type ReferenceNgrams } from './ngram-index.js';

/** sacreBLEU's smoothing methods (Chen & Cherry, 2014) and the default value of each. */
export const SMOOTH_DEFAULTS = { none: undefined, floor: 0.1, 'add-k': 1, exp: undefined } as const;

export type SmoothMethod = keyof typeof SMOOTH_DEFAULTS;

/** BLEU options, validated with zod; names are sacreBLEU's in camelCase. */
export const BleuOptionsSchema = z.strictObject({
  /** Lowercase hypotheses and references before tokenizing. @default false */
  lowercase: z._default(z.boolean(), false),
  /** Tokenizer: `13a`, `intl`, `zh`, `char` or `none`. @default '13a' */
  tokenize: z._default(
    z.string().check(
      z.refine((name) => Object.hasOwn(TOKENIZERS, name), {
        error: (issue) =>
          `unknown tokenizer '${String(issue.input)}'; use one of: ${Object.keys(TOKENIZERS).join(', ')}`,
      }),
    ),
    '13a',
  ),
  /** `exp` (mteval's, the default), `floor`, `add-k` or `none`. @default 'exp' */
  smoothMethod: z._default(z.enum(['exp', 'floor', 'add-k', 'none']), 'exp'),
  /** Value for `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue: z.optional(z.number().check(z.nonnegative())),
  /** Highest n-gram order. @default 4 */
  maxNgramOrder: z._default(z.int().check(z.gte(1), z.lte(64)), 4),
  /**
   * Stop at the highest order with any n-grams instead of scoring 0: use for sentence BLEU.
   * @default false
   */
  effectiveOrder: z._default(z.boolean(), false),
});

/** Options accepted by {@link createBleu} (all optional). */
export type BleuOptions = z.input<typeof BleuOptionsSchema>;

/** A BLEU score with everything sacreBLEU reports about it. */
export interface BleuScore extends BaseScore {
  readonly name: 'BLEU';
  /** Clipped n-gram matches per order (with `add-k`, as smoothed). */
  readonly counts: number[];
  /** Hypothesis n-grams per order (with `add-k`, as smoothed). */
  readonly totals: number[];
  /** Precision per order, in percent. */
  readonly precisions: number[];
  /** Brevity penalty. */
  readonly bp: number;
  /** Hypothesis length in tokens. */
  readonly sysLen: number;
  /** Effective reference length in tokens (closest reference per segment). */
  readonly refLen: number;
  /** `sysLen / refLen` (0 when there is no reference token). */
  readonly ratio: number;
}

/** Creates a BLEU metric (Papineni et al., 2002) computed exactly as sacreBLEU 2.6.0 does. */
export function createBleu(options: BleuOptions = {}): Metric<BleuScore, ReferenceNgrams> {
  const opts = parseOptions(BleuOptionsSchema, options, 'BLEU');
  const tokenizer = getTokenizer(opts.tokenize);
  const maxOrder = opts.maxNgramOrder;
  const preprocess = (line: string) => rstrip(opts.lowercase ? pythonLower(line) : line);
  const correct = new Float64Array(maxOrder);

  return {
    id: 'bleu',
    name: 'BLEU',
    higherIsBetter: true,
    statisticsSize: 2 + 2 * maxOrder,

    prepareReferences(references) {
      return indexReferences(references.map(preprocess), tokenizer, maxOrder);
    },

    segmentStatistics(hypothesis, reference, out, offset) {
      const len = matchHypothesis(preprocess(hypothesis), tokenizer, reference, maxOrder, correct);
      out[offset] = len;
      out[offset + 1] = closestReferenceLength(len, reference.lengths);
      for (let n = 0; n < maxOrder; n++) {
        out[offset + 2 + n] = correct[n]!;
        out[offset + 2 + maxOrder + n] = Math.max(0, len - n);
      }
    },

    scoreFromStatistics(statistics, offset = 0) {
      const counts: number[] = [];
      const totals: number[] = [];
      for (let n = 0; n < maxOrder; n++) {
        counts.push(statistics[offset + 2 + n]!);
        totals.push(statistics[offset + 2 + maxOrder + n]!);
      }
      return computeBleu({
        counts,
        totals,
        sysLen: Math.trunc(statistics[offset]!),
        refLen: Math.trunc(statistics[offset + 1]!),
        smoothMethod: opts.smoothMethod,
        smoothValue: opts.smoothValue,
        effectiveOrder: opts.effectiveOrder,
      });
    },

    signatureFields(): SignatureField[] {
      const defaultValue = SMOOTH_DEFAULTS[opts.smoothMethod];
      const smooth =
        defaultValue === undefined
          ? opts.smoothMethod
          : `${opts.smoothMethod}[${formatFixed(opts.smoothValue ?? defaultValue, 2)}]`;
      return [
        { key: 'case', short: 'c', value: opts.lowercase ? 'lc' : 'mixed' },
        { key: 'eff', short: 'e', value: yesNo(opts.effectiveOrder) },
        { key: 'tok', short: 'tok', value: tokenizer.signature },
        { key: 'smooth', short: 's', value: smooth },
      ];
    },
  };
}

/** sacreBLEU picks, per segment, the reference length closest to the hypothesis; ties → shorter. */
function closestReferenceLength(hypLen: number, lengths: readonly number[]): number {
  let best = -1;
  let bestDiff = -1;
  for (const len of lengths) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && len < best)) {
      bestDiff = diff;
      best = len;
    }
  }
  return best;
}

/** Sufficient statistics of BLEU and how to smooth them. */
export interface BleuStatistics {
  counts: number[];
  totals: number[];
  sysLen: number;
  refLen: number;
  smoothMethod?: SmoothMethod;
  smoothValue?: number | undefined;
  effectiveOrder?: boolean;
}

const FLOORED_LOG = -9999999999;

/**
 * BLEU from its sufficient statistics with sacreBLEU's smoothing: `floor` and `add-k` are
 * Chen & Cherry's methods 1 and 2, `exp` is mteval's method 3. Mirrors sacreBLEU in every
 * observable detail, including that `add-k` adds to the reported counts and totals of orders ≥ 2.
 */
export function computeBleu(stats: BleuStatistics): BleuScore {
  const method = stats.smoothMethod ?? 'none';
  const smoothValue = stats.smoothValue ?? SMOOTH_DEFAULTS[method] ?? 0;
  const counts = [...stats.counts];
  const totals = [...stats.totals];
  const maxOrder = counts.length;
  const { sysLen, refLen } = stats;

  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  if (!counts.some((c) => c !== 0))
    return bleuScore(0, counts, totals, precisions, bp, sysLen, refLen);

  let mtevalFactor = 1;
  let effectiveOrder = maxOrder;
  for (let n = 0; n < maxOrder; n++) {
    if (method === 'add-k' && n > 0) {
      counts[n]! += smoothValue;
      totals[n]! += smoothValue;
    }
    if (totals[n] === 0) break;
    if (stats.effectiveOrder) effectiveOrder = n + 1;
    if (counts[n] === 0) {
      if (method === 'exp') {
        mtevalFactor *= 2;
        precisions[n] = 100 / (mtevalFactor * totals[n]!);
      } else if (method === 'floor') {
        precisions[n] = (100 * smoothValue) / totals[n]!;
      }
    } else {
      precisions[n] = (100 * counts[n]!) / totals[n]!;
    }
  }
  let logSum = 0;
  for (let n = 0; n < effectiveOrder; n++) {
    const p = precisions[n]!;
    logSum += p === 0 ? FLOORED_LOG : Math.log(p);
  }
  const score = bp * Math.exp(logSum / effectiveOrder);
  return bleuScore(score, counts, totals, precisions, bp, sysLen, refLen);
}

function bleuScore(
  score: number,
  counts: number[],
  totals: number[],
  precisions: number[],
  bp: number,
  sysLen: number,
  refLen: number,
): BleuScore {
  const ratio = refLen ? sysLen / refLen : 0;
  const verbose =
    `${precisions.map((p) => formatFixed(p, 1)).join('/')} (BP = ${formatFixed(bp, 3)} ` +
    `ratio = ${formatFixed(ratio, 3)} hyp_len = ${sysLen} ref_len = ${refLen})`;
  return { name: 'BLEU', score, counts, totals, precisions, bp, sysLen, refLen, ratio, verbose };
}

/**
 * Corpus BLEU of `hypotheses` against reference streams (`references[i][j]`: stream i,
 * segment j), equal to sacreBLEU's `corpus_bleu`.
 *
 * @example
 * corpusBleu(['The cat sat.'], [['The cat sat on the mat.']]).score
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: BleuOptions & CorpusScoreOptions = {},
): ScoreResult<BleuScore> {
  const { bootstrap, seed, ...bleuOptions } = options;
  return corpusScore(createBleu(bleuOptions), hypotheses, references, { bootstrap, seed });
}

/**
 * Sentence BLEU of one hypothesis against its references. Like sacreBLEU's `sentence_bleu`,
 * effective order is on unless you pass `effectiveOrder: false`.
 */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options: BleuOptions = {},
): ScoreResult<BleuScore> {
  return sentenceScore(createBleu({ effectiveOrder: true, ...options }), hypothesis, references);
}
