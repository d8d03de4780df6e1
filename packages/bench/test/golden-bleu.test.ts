import { describe, expect, it } from 'vitest';
import { createBleu } from '../src/bleu/bleu.js';
import { corpusScore, sentenceScore } from '../src/score.js';
import { casesOf, withoutVersion } from './golden.js';

// Python keyword names of the golden file → our options.
function bleuOptions(options: Record<string, unknown>) {
  return {
    lowercase: options.lowercase as boolean | undefined,
    tokenize: options.tokenize as string | undefined,
    smoothMethod: options.smooth_method as 'exp' | undefined,
    smoothValue: options.smooth_value as number | undefined,
    maxNgramOrder: options.max_ngram_order as number | undefined,
    effectiveOrder: options.effective_order as boolean | undefined,
  };
}

describe('BLEU equals sacreBLEU 2.6.0 on every golden case', () => {
  it.each(casesOf('BLEU'))('%s', (_name, golden, input) => {
    const metric = createBleu(
      Object.fromEntries(
        Object.entries(bleuOptions(golden.options)).filter(([, v]) => v !== undefined),
      ),
    );
    const result =
      golden.level === 'corpus'
        ? corpusScore(metric, input.hypotheses, input.references)
        : sentenceScore(
            metric,
            input.hypotheses[0]!,
            input.references.map((stream) => stream[0]!),
          );
    const d = golden.details as {
      counts: number[];
      totals: number[];
      precisions: number[];
      sys_len: number;
      ref_len: number;
      bp: number;
      ratio: number;
    };
    expect(Math.abs(result.score - golden.score)).toBeLessThanOrEqual(1e-6);
    expect(result.counts).toEqual(d.counts);
    expect(result.totals).toEqual(d.totals);
    expect(result.sysLen).toBe(d.sys_len);
    expect(result.refLen).toBe(d.ref_len);
    expect(Math.abs(result.bp - d.bp)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(result.ratio - d.ratio)).toBeLessThanOrEqual(1e-12);
    result.precisions.forEach((p, i) => {
      expect(Math.abs(p - d.precisions[i]!)).toBeLessThanOrEqual(1e-9);
    });
    expect(withoutVersion(result.signature.format())).toBe(withoutVersion(golden.signature));
  });
});
