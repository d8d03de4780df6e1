import * as z from 'zod/mini';
import type { ReferenceStreams, ScoreResult } from '../corpus.js';
import { BenchError } from '../errors.js';
import type { BaseScore, Metric } from '../metric.js';
import { parseOptions } from '../options.js';
import { type CorpusScoreOptions, corpusScore, sentenceScore } from '../score.js';
import { type SignatureField, yesNo } from '../signature.js';
import { createTercomTokenizer } from './tercom-tokenizer.js';
import { TranslationEditRate } from './translation-edit-rate.js';

/** Options of TER, sacreBLEU's `TER(...)` arguments in camelCase. */
export const TerOptionsSchema = z.strictObject({
  /**
   * Normalize before scoring: join lines, decode `&quot;`/`&amp;`/`&lt;`/`&gt;` and split
   * punctuation off words (and, with `asianSupport`, split CJK characters).
   * @default false
   */
  normalized: z._default(z.boolean(), false),
  /**
   * Remove the punctuation `.,?:;!"()` (and, with `asianSupport`, CJK and full-width
   * punctuation).
   * @default false
   */
  noPunct: z._default(z.boolean(), false),
  /**
   * Apply `normalized` and `noPunct` to CJK text too; no effect without one of them.
   * @default false
   */
  asianSupport: z._default(z.boolean(), false),
  /**
   * Compare words with their case; otherwise everything is lowercased.
   * @default false
   */
  caseSensitive: z._default(z.boolean(), false),
});

/** TER options as callers pass them (every field optional). */
export type TerOptions = z.input<typeof TerOptionsSchema>;

/** A TER score: edits per reference word, on a 0–100 scale (it can exceed 100). Lower is better. */
export interface TerScore extends BaseScore {
  readonly name: 'TER';
  /** `100 × numEdits / refLength`; 100 when there are edits but no reference words, else 0. */
  readonly score: number;
  /** Shifts plus insertions, deletions and substitutions, against each segment's closest reference. */
  readonly numEdits: number;
  /** Sum over segments of the average length in words of the segment's references. */
  readonly refLength: number;
  readonly verbose: '';
}

/** One segment's references, tokenized into word ids that the hypothesis is mapped onto. */
export interface TerReferences {
  /** Each distinct reference word of the segment and its id. */
  readonly vocabulary: ReadonlyMap<string, number>;
  /** The references' words as ids, one array per reference. */
  readonly words: readonly Int32Array[];
}

/**
 * Creates the TER metric (translation edit rate, Snover et al. 2006) equal to sacreBLEU 2.6.0's
 * `TER`: the shifts (chosen greedily, as tercom does), insertions, deletions and substitutions that
 * turn a hypothesis into its closest reference, per average reference word. Statistics per segment
 * are `[numEdits, averageReferenceLength]`.
 *
 * An instance keeps reusable working memory; use it from one call at a time.
 *
 * @throws {@link BenchError} `invalid-options` for an unknown option or one that is not a boolean.
 */
export function createTer(options: TerOptions = {}): Metric<TerScore, TerReferences> {
  const { normalized, noPunct, asianSupport, caseSensitive } = parseOptions(
    TerOptionsSchema,
    options,
    'TER',
  );
  const tokenize = createTercomTokenizer({ normalized, noPunct, asianSupport, caseSensitive });
  const ter = new TranslationEditRate();
  let hypIds = new Int32Array(64);

  return {
    id: 'ter',
    name: 'TER',
    higherIsBetter: false,
    statisticsSize: 2,

    prepareReferences(references) {
      if (references.length === 0)
        throw new BenchError(
          'invalid-input',
          'TER needs at least one reference for every segment, but a segment has none: give it a reference in at least one stream.',
        );
      const vocabulary = new Map<string, number>();
      const words = references.map((reference) => {
        const tokens = tokenize(reference);
        const ids = new Int32Array(tokens.length);
        for (let k = 0; k < tokens.length; k++) {
          const token = tokens[k]!;
          let id = vocabulary.get(token);
          if (id === undefined) {
            id = vocabulary.size;
            vocabulary.set(token, id);
          }
          ids[k] = id;
        }
        return ids;
      });
      return { vocabulary, words };
    },

    segmentStatistics(hypothesis, references, out, offset) {
      const tokens = tokenize(hypothesis);
      const n = tokens.length;
      if (hypIds.length < n) hypIds = new Int32Array(Math.max(n, hypIds.length * 2));
      // Only equality with reference words matters, so words no reference has share one id.
      for (let k = 0; k < n; k++) hypIds[k] = references.vocabulary.get(tokens[k]!) ?? -1;
      let bestEdits = Number.POSITIVE_INFINITY;
      let totalLength = 0;
      for (const ref of references.words) {
        const edits = ter.edits(hypIds, n, ref, ref.length);
        if (edits < bestEdits) bestEdits = edits;
        totalLength += ref.length;
      }
      out[offset] = bestEdits;
      out[offset + 1] = totalLength / references.words.length;
    },

    scoreFromStatistics(statistics, offset = 0) {
      const numEdits = statistics[offset]!;
      const refLength = statistics[offset + 1]!;
      const rate = refLength > 0 ? numEdits / refLength : numEdits > 0 ? 1 : 0;
      return { name: 'TER', score: 100 * rate, numEdits, refLength, verbose: '' };
    },

    signatureFields(): SignatureField[] {
      return [
        { key: 'case', short: 'c', value: caseSensitive ? 'mixed' : 'lc' },
        { key: 'tok', short: 't', value: 'tercom' },
        { key: 'norm', short: 'nr', value: yesNo(normalized) },
        { key: 'punct', short: 'pn', value: yesNo(!noPunct) },
        { key: 'asian', short: 'as', value: yesNo(asianSupport) },
      ];
    },
  };
}

/**
 * Corpus-level TER of `hypotheses` against reference streams (`references[i][j]` is segment `j`
 * of stream `i`), as `sacrebleu.corpus_score` with `TER(...)`.
 *
 * @throws {@link BenchError} `invalid-options`, `invalid-input` or `length-mismatch`.
 */
export function corpusTer(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: TerOptions & CorpusScoreOptions = {},
): ScoreResult<TerScore> {
  const { bootstrap, seed, ...terOptions } = options ?? {};
  return corpusScore(createTer(terOptions), hypotheses, references, { bootstrap, seed });
}

/**
 * Sentence-level TER of one hypothesis against its references (one string per reference), as
 * `sacrebleu.sentence_score` with `TER(...)`.
 *
 * @throws {@link BenchError} `invalid-options` or `invalid-input`.
 */
export function sentenceTer(
  hypothesis: string,
  references: readonly string[],
  options: TerOptions = {},
): ScoreResult<TerScore> {
  return sentenceScore(createTer(options), hypothesis, references);
}
