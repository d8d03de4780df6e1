import { readFileSync } from 'node:fs';

/** One case computed by the reference sacreBLEU 2.6.0 (options use its Python keyword names). */
export interface GoldenCase {
  metric: 'BLEU' | 'CHRF' | 'TER';
  level: 'corpus' | 'sentence';
  options: Record<string, unknown>;
  input: string;
  score: number;
  signature: string;
  details: Record<string, unknown>;
}

export interface GoldenInput {
  hypotheses: string[];
  /** references[i][j]: stream i, segment j. */
  references: string[][];
}

interface GoldenFile {
  reference: string;
  inputs: Record<string, GoldenInput>;
  cases: GoldenCase[];
}

export const golden: GoldenFile = JSON.parse(
  readFileSync(new URL('./fixtures/golden/sacrebleu-cases.json', import.meta.url), 'utf8'),
);

/** The cases of one metric, each with a readable test name. */
export function casesOf(metric: GoldenCase['metric']): [string, GoldenCase, GoldenInput][] {
  return golden.cases
    .filter((c) => c.metric === metric)
    .map((c, i) => [
      `#${i} ${c.level} ${c.input} ${JSON.stringify(c.options)}`,
      c,
      golden.inputs[c.input]!,
    ]);
}

/** The signature without its `version:` field (ours names this package, not sacreBLEU). */
export function withoutVersion(signature: string): string {
  return signature
    .split('|')
    .filter((f) => !f.startsWith('version:'))
    .join('|');
}
