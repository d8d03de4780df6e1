import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCorpusError } from '../errors.js';
import { assignSplit, parseSplitSpec } from './splits.js';

const ids = Array.from({ length: 20_000 }, (_, i) =>
  createHash('sha256').update(`document ${i}`).digest('hex'),
);

describe('assignSplit', () => {
  it('follows the ratios on many documents', () => {
    const splits = { train: 0.9, validation: 0.05, test: 0.05 };
    const counts: Record<string, number> = { train: 0, validation: 0, test: 0 };
    for (const id of ids)
      counts[assignSplit(id, splits, 'seed')] = (counts[assignSplit(id, splits, 'seed')] ?? 0) + 1;
    expect((counts.train as number) / ids.length).toBeCloseTo(0.9, 1);
    expect(Math.abs((counts.validation as number) / ids.length - 0.05)).toBeLessThan(0.006);
    expect(Math.abs((counts.test as number) / ids.length - 0.05)).toBeLessThan(0.006);
  });

  it('depends on the id and seed only, not on the order the ratios are written in', () => {
    const a = ids.map((id) => assignSplit(id, { train: 0.98, validation: 0.02 }, 's'));
    const b = ids.map((id) => assignSplit(id, { validation: 0.02, train: 0.98 }, 's'));
    expect(b).toEqual(a);
    const other = ids.map((id) =>
      assignSplit(id, { train: 0.98, validation: 0.02 }, 'another seed'),
    );
    expect(other).not.toEqual(a);
  });

  it('keeps a document in its split when the held-out share grows', () => {
    // Splits take [0, 1) in name order, so validation is the top share; growing it only moves train → validation.
    for (const id of ids.slice(0, 2000)) {
      if (assignSplit(id, { train: 0.95, validation: 0.05 }, 's') === 'validation') {
        expect(assignSplit(id, { train: 0.9, validation: 0.1 }, 's')).toBe('validation');
      }
    }
  });
});

describe('parseSplitSpec', () => {
  it('reads the CLI form', () => {
    expect(parseSplitSpec('train=0.98,validation=0.02')).toEqual({ train: 0.98, validation: 0.02 });
    expect(parseSplitSpec(' train = 0.8 , test=0.2 ')).toEqual({ train: 0.8, test: 0.2 });
  });

  it.each([
    ['train=0.9', /sum to 1/],
    ['train=0.5,train=0.5', /twice/],
    ['train:0.5,test=0.5', /name=ratio/],
    ['tr-ain=0.5,test=0.5', /name=ratio/],
  ])('rejects %s', (spec, message) => {
    expect(() => parseSplitSpec(spec)).toThrow(message);
    try {
      parseSplitSpec(spec);
    } catch (error) {
      expect(isCorpusError(error, 'invalid-options')).toBe(true);
    }
  });
});
