import { describe, expect, it } from 'vitest';
import { loadDocuments, seededRandom } from '../../test/fixtures/dedup/plant.js';
import { createSigner, MinHasherOptionsSchema } from './minhash.js';
import { createPermuteKernel } from './permute-kernel.js';
import { TextScanner } from './scan.js';

describe('createPermuteKernel', () => {
  it('runs WebAssembly SIMD on this Node and agrees with the JavaScript loop', () => {
    const random = seededRandom(3);
    const int = () => Math.floor(random() * 2 ** 32) | 0;
    const multipliers = Int32Array.from({ length: 32 }, () => int() | 1);
    const offsets = Int32Array.from({ length: 32 }, int);
    const simd = createPermuteKernel(multipliers, offsets);
    const js = createPermuteKernel(multipliers, offsets, 'js');
    expect(simd.kind).toBe('wasm-simd');
    expect(js.kind).toBe('js');
    // Past the 4,096 hashes the module's memory starts with, so that it has to grow.
    for (const n of [1, 2, 7, 300, 5000, 100_000]) {
      const values = Int32Array.from({ length: n }, int);
      simd.shingles(n).set(values);
      js.shingles(n).set(values);
      const a = new Uint32Array(32);
      const b = new Uint32Array(32);
      simd.run(n, a);
      js.run(n, b);
      expect([...a]).toEqual([...b]);
      // The minimum of (a·x + b) mod 2³², checked directly for one permutation.
      let minimum = 0xffffffff;
      for (const x of values)
        minimum = Math.min(
          minimum,
          (Math.imul(multipliers[5] as number, x) + (offsets[5] as number)) >>> 0,
        );
      expect(a[5]).toBe(minimum);
    }
  });

  it('gives the same signatures either way on the real pages', () => {
    const settings = MinHasherOptionsSchema.parse({});
    const simd = createSigner(settings);
    const js = createSigner(settings, 'js');
    const scanner = new TextScanner({ normaliseNumbers: true });
    const a = new Uint32Array(112);
    const b = new Uint32Array(112);
    for (const document of loadDocuments().slice(0, 60)) {
      scanner.scan(document.markdown);
      simd.signatureFromWords(scanner.wordHashes, scanner.wordCount, a);
      js.signatureFromWords(scanner.wordHashes, scanner.wordCount, b);
      expect(a).toEqual(b);
    }
  });
});
