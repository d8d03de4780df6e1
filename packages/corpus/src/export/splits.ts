import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CorpusError } from '../errors.js';

/** The default split: 98% of documents for training, 2% held out. */
export const DEFAULT_SPLITS: Readonly<Record<string, number>> = Object.freeze({
  train: 0.98,
  validation: 0.02,
});

/**
 * Split names as the `datasets` library accepts them (word characters), each with a ratio; the
 * ratios sum to 1.
 */
export const SplitsSchema = z
  .record(
    z.string().regex(/^\w+$/, 'split names are letters, digits and _'),
    z.number().positive().max(1),
  )
  .refine((splits) => Object.keys(splits).length > 0, 'give at least one split')
  .refine(
    (splits) => Math.abs(Object.values(splits).reduce((a, b) => a + b, 0) - 1) < 1e-6,
    'the ratios must sum to 1',
  );

/**
 * Parses `train=0.98,validation=0.02` (the CLI's `--split`). Throws `invalid-options` with the
 * reason when the text is malformed or the ratios do not sum to 1.
 */
export function parseSplitSpec(spec: string): Record<string, number> {
  const splits: Record<string, number> = {};
  for (const part of spec.split(',')) {
    const match = /^\s*(\w+)\s*=\s*([0-9.]+)\s*$/.exec(part);
    if (!match) {
      throw new CorpusError(
        'invalid-options',
        `Cannot read split "${part}" in "${spec}": write name=ratio pairs such as train=0.98,validation=0.02.`,
      );
    }
    const [, name, ratio] = match as unknown as [string, string, string];
    if (name in splits)
      throw new CorpusError('invalid-options', `Split ${name} is given twice in "${spec}".`);
    splits[name] = Number(ratio);
  }
  const parsed = SplitsSchema.safeParse(splits);
  if (!parsed.success) {
    throw new CorpusError(
      'invalid-options',
      `Invalid splits "${spec}": ${parsed.error.issues[0]?.message}.`,
    );
  }
  return parsed.data;
}

/**
 * The split a document belongs to: sha256 of the seed and the document id, read as a number in
 * [0, 1), falls into one split's share of [0, 1) (splits taken in name order, so the order the
 * ratios were written in does not matter). All chunks of a document share its split, so no
 * document leaks between train and validation, and a document keeps its split when the corpus
 * grows (other documents do not move it).
 */
export function assignSplit(
  documentId: string,
  splits: Readonly<Record<string, number>>,
  seed: string,
): string {
  const digest = createHash('sha256').update(`${seed}\u0000${documentId}`).digest();
  const position = digest.readUIntBE(0, 6) / 2 ** 48;
  const names = Object.keys(splits).sort();
  let upper = 0;
  for (const name of names) {
    upper += splits[name] as number;
    if (position < upper) return name;
  }
  // Rounding can leave the last sliver of [0, 1) uncovered; it belongs to the last split.
  return names[names.length - 1] as string;
}
