import { describe, expect, it } from 'vitest';
import { HashMultimap } from './hash-multimap.js';

const collect = (map: HashMultimap, high: number, low: number) => {
  const values: number[] = [];
  map.lookup(high, low, (value) => {
    values.push(value);
    return undefined;
  });
  return values.sort((a, b) => a - b);
};

describe('HashMultimap', () => {
  it('keeps every value of a key through growth, and nothing for absent keys', () => {
    const map = new HashMultimap(16);
    const before = map.byteLength;
    for (let i = 0; i < 5000; i += 1) {
      // Keys share their low halves in pairs (same start slot) and repeat every 1000 values.
      map.insert(i % 1000, (i % 500) * 0x9e3779b1, i);
    }
    expect(map.size).toBe(5000);
    expect(map.byteLength).toBeGreaterThan(before);
    expect(collect(map, 7, 7 * 0x9e3779b1)).toEqual([7, 1007, 2007, 3007, 4007]);
    expect(collect(map, 507, 7 * 0x9e3779b1)).toEqual([507, 1507, 2507, 3507, 4507]);
    expect(collect(map, 1007, 7 * 0x9e3779b1)).toEqual([]);
    expect(collect(map, 0xffffffff, 0xffffffff)).toEqual([]);
  });

  it('stops when the visitor says so', () => {
    const map = new HashMultimap();
    for (let i = 0; i < 10; i += 1) map.insert(1, 2, i);
    let visits = 0;
    map.lookup(1, 2, () => {
      visits += 1;
      return visits === 3;
    });
    expect(visits).toBe(3);
  });
});
