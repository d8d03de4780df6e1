import { describe, expect, it } from 'vitest';
import { editWords, loadDocuments, seededRandom } from '../../test/fixtures/dedup/plant.js';
import { isCorpusError } from '../errors.js';
import {
  candidateProbability,
  createMinHasher,
  estimateJaccard,
  exactJaccard,
  lshThreshold,
  shingleSet,
} from './minhash.js';
import { words } from './scan.js';

const documents = loadDocuments();
const page = (suffix: string) =>
  (documents.find((document) => document.url.endsWith(suffix)) as { markdown: string }).markdown;

describe('createMinHasher', () => {
  it('signs with bands × rows values, the same for the same words whatever the case or punctuation', () => {
    const hasher = createMinHasher();
    const signature = hasher.signature(
      'Hello, World! This is etcd, a distributed key-value store.',
    );
    expect(signature).toHaveLength(112);
    expect(hasher.size).toBe(112);
    expect(hasher.signature('hello world this is ETCD a distributed key value store')).toEqual(
      signature,
    );
    expect(
      createMinHasher().signature('hello world this is etcd a distributed key value store'),
    ).toEqual(signature);
    expect(
      createMinHasher({ seed: 2 }).signature(
        'hello world this is etcd a distributed key value store',
      ),
    ).not.toEqual(signature);
    expect(createMinHasher({ bands: 20, rows: 5 }).signature('x')).toHaveLength(100);
  });

  it('treats numbers as equal unless told not to', () => {
    const a = 'Upgrade etcd from v3.5 to v3.6 before the end of 2025 please';
    const b = 'Upgrade etcd from v3.6 to v3.7 before the end of 2026 please';
    expect(createMinHasher().signature(a)).toEqual(createMinHasher().signature(b));
    const strict = createMinHasher({ normaliseNumbers: false });
    expect(strict.signature(a)).not.toEqual(strict.signature(b));
  });

  it('gives texts without words the empty signature and short texts one shingle', () => {
    const hasher = createMinHasher();
    const out = new Uint32Array(hasher.size);
    expect(hasher.signatureInto('--- *** |||', out)).toBe(0);
    expect([...new Set(out)]).toEqual([0xffffffff]);
    expect(hasher.signatureInto('three short words', out)).toBe(1);
    expect(hasher.signature('Three  short words!')).toEqual(out);
    expect(hasher.signature('three short word')).not.toEqual(out);
    // One shingle per word position, repeated shingles included.
    const maintenance = page('/op-guide/maintenance/');
    expect(hasher.signatureInto(maintenance, out)).toBe(
      words(maintenance, { normaliseNumbers: true }).length - 4,
    );
    expect(shingleSet(maintenance).size).toBeLessThanOrEqual(
      words(maintenance, { normaliseNumbers: true }).length - 4,
    );
  });

  it('estimates Jaccard similarity within the binomial error on real pages', () => {
    // Pairs over the whole range: a page against lightly to heavily edited copies of itself,
    // and against the next page.
    const hasher = createMinHasher();
    const random = seededRandom(7);
    let squaredZ = 0;
    let error = 0;
    let pairs = 0;
    const long = documents.filter((document) => {
      const count = document.markdown.split(/\s+/).length;
      return count > 300 && count < 3000;
    });
    for (const [i, document] of long.entries()) {
      const variants = [
        editWords(document.markdown, 5, random),
        editWords(document.markdown, Math.round(document.markdown.length / 200), random),
        editWords(document.markdown, Math.round(document.markdown.length / 40), random),
        (long[(i + 1) % long.length] as { markdown: string }).markdown,
      ];
      const signature = hasher.signature(document.markdown);
      for (const variant of variants) {
        const exact = exactJaccard(document.markdown, variant);
        const estimate = estimateJaccard(signature, hasher.signature(variant));
        const variance = Math.max(exact * (1 - exact), 0.5 / hasher.size) / hasher.size;
        squaredZ += (estimate - exact) ** 2 / variance;
        error += estimate - exact;
        pairs += 1;
      }
    }
    expect(pairs).toBeGreaterThan(250);
    // A mean squared z-score near 1 means the error is what 112 independent draws give.
    expect(squaredZ / pairs).toBeGreaterThan(0.6);
    expect(squaredZ / pairs).toBeLessThan(1.5);
    expect(Math.abs(error / pairs)).toBeLessThan(0.01);
  });

  it('hashes bands so that equal bands collide and one changed value changes one band', () => {
    const hasher = createMinHasher();
    const signature = hasher.signature(page('/op-guide/maintenance/'));
    const bands = hasher.bandHashes(signature);
    expect(bands).toHaveLength(28);
    const changed = signature.slice();
    changed[8 * 3 + 5] = (changed[8 * 3 + 5] as number) ^ 1;
    const other = hasher.bandHashes(changed);
    for (let band = 0; band < 14; band += 1) {
      const same =
        bands[band * 2] === other[band * 2] && bands[band * 2 + 1] === other[band * 2 + 1];
      expect(same).toBe(band !== 3);
    }
  });

  it('rejects wrong options with a CorpusError', () => {
    for (const options of [
      { bands: 0 },
      { rows: 1.5 },
      { bands: 100, rows: 20 },
      { shingles: 5 },
    ]) {
      let caught: unknown;
      try {
        createMinHasher(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isCorpusError(caught, 'invalid-options')).toBe(true);
    }
  });
});

describe('exactJaccard and the LSH S-curve', () => {
  it('is |A ∩ B| / |A ∪ B| of word 5-gram sets', () => {
    expect(exactJaccard('a b c d e f', 'a b c d e f')).toBe(1);
    // Shingles {abcde, bcdef} and {abcde, bcdeg}: one shared of three.
    expect(exactJaccard('a b c d e f', 'a b c d e g')).toBeCloseTo(1 / 3);
    expect(exactJaccard('a b c d e f', 'u v w x y z')).toBe(0);
    expect(exactJaccard('', '')).toBe(1);
    expect(exactJaccard('a b', 'A, b!', 2)).toBe(1);
  });

  it('puts the steep part of the S-curve of 14 × 8 near 0.72', () => {
    expect(lshThreshold(14, 8)).toBeCloseTo(0.719, 3);
    // 1 − (1 − 1/b)^b: about 1 − 1/e for any number of bands.
    expect(candidateProbability(lshThreshold(14, 8), 14, 8)).toBeCloseTo(1 - (13 / 14) ** 14, 6);
    expect(candidateProbability(0.8, 14, 8)).toBeCloseTo(0.924, 3);
    expect(candidateProbability(0.9, 14, 8)).toBeGreaterThan(0.999);
    expect(candidateProbability(0.5, 14, 8)).toBeLessThan(0.06);
  });
});
