import { describe, expect, it } from 'vitest';
import { formatFixed } from './format.js';

describe('formatFixed rounds like Python format specs', () => {
  it.each([
    [0.125, 2, '0.12'], // exact tie → even (JavaScript's toFixed gives 0.13)
    [0.375, 2, '0.38'],
    [2.5, 0, '2'],
    [3.5, 0, '4'],
    [-0.125, 2, '-0.12'],
    [1.005, 2, '1.00'], // 1.005 is stored below the tie: no special case
    [92.42347175988586, 1, '92.4'],
    [100.00000000000004, 2, '100.00'],
    [0, 3, '0.000'],
  ])('%d with %d decimals → %s', (value, digits, text) => {
    expect(formatFixed(value, digits)).toBe(text);
  });
});
