/**
 * A bit-exact reimplementation of the parts of numpy's `Generator` (checked against numpy
 * 2.4.6) that sacreBLEU's bootstrap and approximate-randomization tests use:
 *
 * - `np.random.default_rng(seed)`: a `SeedSequence` turns the seed into PCG64's 128-bit state
 *   and increment;
 * - `rng.choice(n, size, replace=True)`, which numpy implements as
 *   `rng.integers(0, n, size, dtype=np.int64)`: Lemire's multiply-and-reject on 32-bit draws;
 * - `rng.integers(2, size, dtype=bool)`: one bit per boolean from buffered 32-bit draws.
 *
 * Both calls fill their output in C order, so a 2-D `size=(rows, cols)` is the same stream as
 * `size=rows * cols`, row by row.
 *
 * @module
 */

import type { ResamplingRng } from './rng.js';

// ---------------------------------------------------------------------------------------------
// SeedSequence (numpy/random/bit_generator.pyx), all arithmetic on uint32 words.

const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL_SIZE = 4;
const TWO_32 = 4294967296;
const INV_2_32 = 1 / TWO_32;

/**
 * The seed as numpy's `_coerce_to_uint32_array` sees an int: its 32-bit words, least significant
 * first, with `0` giving one zero word (not an empty array, which would hash differently).
 */
function seedWords(seed: number | bigint): number[] {
  let big: bigint;
  if (typeof seed === 'bigint') {
    big = seed;
  } else {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`numpy seed must be a safe integer, got ${seed}`);
    }
    big = BigInt(seed);
  }
  if (big < 0n) throw new RangeError(`numpy seed must be non-negative, got ${seed}`);
  if (big === 0n) return [0];
  const words: number[] = [];
  while (big > 0n) {
    words.push(Number(big & 0xffffffffn));
    big >>= 32n;
  }
  return words;
}

/** The 4-word entropy pool `SeedSequence(seed).pool` (no spawn key, the default pool size). */
function seedPool(seed: number | bigint): Uint32Array {
  const entropy = seedWords(seed);
  let hashConst = INIT_A;
  const hashmix = (value: number): number => {
    let v = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_A) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    return (v ^ (v >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const pool = new Uint32Array(POOL_SIZE);
  // Hash the entropy into the pool, running the hash on zeros past its end.
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(entropy[i] ?? 0);
  // Mix every pool word into every other so late words affect early ones.
  for (let src = 0; src < POOL_SIZE; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) {
      if (src !== dst) pool[dst] = mix(pool[dst]!, hashmix(pool[src]!));
    }
  }
  // Entropy longer than the pool (seeds ≥ 2**128) is folded in word by word.
  for (let src = POOL_SIZE; src < entropy.length; src++) {
    for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst]!, hashmix(entropy[src]!));
  }
  return pool;
}

/**
 * `np.random.SeedSequence(seed).generate_state(words, np.uint32)`: the words numpy derives from
 * an integer seed. PCG64 takes 8 of them (read as 4 little-endian uint64).
 */
export function seedSequenceGenerateState(seed: number | bigint, words: number): Uint32Array {
  const pool = seedPool(seed);
  const out = new Uint32Array(words);
  let hashConst = INIT_B;
  for (let i = 0; i < words; i++) {
    let v = (pool[i % POOL_SIZE]! ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, MULT_B) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    out[i] = (v ^ (v >>> 16)) >>> 0;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PCG64: state = state * MULT + inc (mod 2**128), output XSL-RR of the new state.
//
// BigInt would be exact but far slower, so the 128-bit numbers live in eight 16-bit limbs
// (limb 0 least significant) and all arithmetic stays in int32, which V8 keeps in registers: a
// 16×16-bit product from `Math.imul` is exact as a uint32, its low 16 bits go to its column's
// sum and its high 16 bits to the next column's carry. A column sums at most eight 16-bit
// pieces plus carries, far below 2**31.

/** PCG's default 128-bit multiplier 0x2360ED051FC65DA4_4385DF649FCCF645, 16-bit limbs. */
const M0 = 0xf645;
const M1 = 0x9fcc;
const M2 = 0xdf64;
const M3 = 0x4385;
const M4 = 0x5da4;
const M5 = 0x1fc6;
const M6 = 0xed05;
const M7 = 0x2360;

/** 64-bit outputs generated per refill: enough to amortize the call, few enough to waste little. */
const BLOCK = 512;
/** uint32 words per block. */
const WORDS = 2 * BLOCK;

/**
 * numpy's `PCG64` (the XSL-RR variant, not `PCG64DXSM`), producing its 64-bit outputs a block at
 * a time as uint32 words: `words[2k]` is the low half of output k and `words[2k + 1]` its high
 * half.
 *
 * That word order is exactly numpy's `next_uint32` stream: PCG64 returns the low half of a fresh
 * output and keeps the high half (`has_uint32`/`uinteger`, part of the bit generator's state, so
 * it survives across `Generator` calls) for the next 32-bit request. Everything implemented
 * here draws 32 bits at a time, so reading the words in order reproduces that buffering. (A
 * 64-bit draw, e.g. `rng.random()`, would skip the kept half instead; it is not implemented.)
 */
class Pcg64Words {
  /** State limbs, 16 bits each, least significant first. */
  private readonly s = new Int32Array(8);
  /** Increment limbs, likewise. */
  private readonly inc = new Int32Array(8);
  readonly words = new Uint32Array(WORDS);

  constructor(seed: number | bigint) {
    // numpy: val = seed_seq.generate_state(4, uint64); pcg64_set_seed(state, &val[0], &val[2]),
    // i.e. initstate = val[0] << 64 | val[1] and initseq = val[2] << 64 | val[3], where the
    // uint64 val[k] = w[2k + 1] << 32 | w[2k]. As 32-bit limbs, least significant first:
    const w = seedSequenceGenerateState(seed, 8);
    const initState = [w[2]!, w[3]!, w[0]!, w[1]!];
    const initSeq = [w[6]!, w[7]!, w[4]!, w[5]!];
    // inc = (initseq << 1) | 1, mod 2**128.
    for (let k = 0; k < 4; k++) {
      const below = k === 0 ? 1 : initSeq[k - 1]! >>> 31;
      const shifted = (initSeq[k]! << 1) | below;
      this.inc[2 * k] = shifted & 0xffff;
      this.inc[2 * k + 1] = shifted >>> 16;
    }
    // pcg_setseq_128_srandom_r: state = 0; step; state += initstate; step. The outputs these
    // steps write are overwritten by the first refill.
    this.generate(1);
    let carry = 0;
    for (let k = 0; k < 4; k++) {
      const word = initState[k]!;
      const lo = this.s[2 * k]! + (word & 0xffff) + carry;
      const hi = this.s[2 * k + 1]! + (word >>> 16) + (lo >>> 16);
      this.s[2 * k] = lo & 0xffff;
      this.s[2 * k + 1] = hi & 0xffff;
      carry = hi >>> 16;
    }
    this.generate(1);
  }

  /** Advances the state `count` (≤ `BLOCK`) steps, writing each step's output to `words`. */
  generate(count: number): void {
    const s = this.s;
    const inc = this.inc;
    const words = this.words;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    let s4 = s[4]!;
    let s5 = s[5]!;
    let s6 = s[6]!;
    let s7 = s[7]!;
    const i0 = inc[0]!;
    const i1 = inc[1]!;
    const i2 = inc[2]!;
    const i3 = inc[3]!;
    const i4 = inc[4]!;
    const i5 = inc[5]!;
    const i6 = inc[6]!;
    const i7 = inc[7]!;
    for (let k = 0; k < count; k++) {
      // Column j of s * M + inc: the low halves of products s_a * M_b with a + b = j, the high
      // halves of those with a + b = j - 1, inc_j, and the previous column's overflow.
      let p = Math.imul(s0, M0);
      let c = (p & 0xffff) + i0;
      let carry = (p >>> 16) + (c >>> 16);
      const r0 = c & 0xffff;

      p = Math.imul(s0, M1);
      c = carry + (p & 0xffff) + i1;
      carry = p >>> 16;
      p = Math.imul(s1, M0);
      c += p & 0xffff;
      carry += (p >>> 16) + (c >>> 16);
      const r1 = c & 0xffff;

      p = Math.imul(s0, M2);
      c = carry + (p & 0xffff) + i2;
      carry = p >>> 16;
      p = Math.imul(s1, M1);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s2, M0);
      c += p & 0xffff;
      carry += (p >>> 16) + (c >>> 16);
      const r2 = c & 0xffff;

      p = Math.imul(s0, M3);
      c = carry + (p & 0xffff) + i3;
      carry = p >>> 16;
      p = Math.imul(s1, M2);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s2, M1);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s3, M0);
      c += p & 0xffff;
      carry += (p >>> 16) + (c >>> 16);
      const r3 = c & 0xffff;

      p = Math.imul(s0, M4);
      c = carry + (p & 0xffff) + i4;
      carry = p >>> 16;
      p = Math.imul(s1, M3);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s2, M2);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s3, M1);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s4, M0);
      c += p & 0xffff;
      carry += (p >>> 16) + (c >>> 16);
      const r4 = c & 0xffff;

      p = Math.imul(s0, M5);
      c = carry + (p & 0xffff) + i5;
      carry = p >>> 16;
      p = Math.imul(s1, M4);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s2, M3);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s3, M2);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s4, M1);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s5, M0);
      c += p & 0xffff;
      carry += (p >>> 16) + (c >>> 16);
      const r5 = c & 0xffff;

      p = Math.imul(s0, M6);
      c = carry + (p & 0xffff) + i6;
      carry = p >>> 16;
      p = Math.imul(s1, M5);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s2, M4);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s3, M3);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s4, M2);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s5, M1);
      c += p & 0xffff;
      carry += p >>> 16;
      p = Math.imul(s6, M0);
      c += p & 0xffff;
      carry += (p >>> 16) + (c >>> 16);
      const r6 = c & 0xffff;

      // The top column only needs its low 16 bits, so int32 wrap-around is harmless.
      c =
        (carry +
          i7 +
          Math.imul(s0, M7) +
          Math.imul(s1, M6) +
          Math.imul(s2, M5) +
          Math.imul(s3, M4) +
          Math.imul(s4, M3) +
          Math.imul(s5, M2) +
          Math.imul(s6, M1) +
          Math.imul(s7, M0)) |
        0;
      const r7 = c & 0xffff;

      s0 = r0;
      s1 = r1;
      s2 = r2;
      s3 = r3;
      s4 = r4;
      s5 = r5;
      s6 = r6;
      s7 = r7;

      // XSL-RR: xor the high 64 bits into the low 64, rotate right by the top 6 bits.
      let hi = ((r7 ^ r3) << 16) | (r6 ^ r2);
      let lo = ((r5 ^ r1) << 16) | (r4 ^ r0);
      let rot = r7 >>> 10;
      if (rot >= 32) {
        const t = hi;
        hi = lo;
        lo = t;
        rot -= 32;
      }
      // JS shifts count mod 32, so a zero rotation must skip the `<< (32 - rot)` terms.
      if (rot !== 0) {
        const rotatedLo = (lo >>> rot) | (hi << (32 - rot));
        hi = (hi >>> rot) | (lo << (32 - rot));
        lo = rotatedLo;
      }
      words[2 * k] = lo;
      words[2 * k + 1] = hi;
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    s[4] = s4;
    s[5] = s5;
    s[6] = s6;
    s[7] = s7;
  }
}

// ---------------------------------------------------------------------------------------------
// Generator

/**
 * The subset of numpy's `np.random.default_rng(seed)` that sacreBLEU's significance code uses.
 * Successive calls continue one stream exactly as the same sequence of numpy calls would.
 */
export interface NumpyGenerator extends ResamplingRng {
  /**
   * `rng.choice(n, size=count, replace=True)`, which numpy computes as
   * `rng.integers(0, n, size=count, dtype=np.int64)`: `count` indices uniform in `[0, n)`.
   * `n` must be an integer in `[1, 2**32]` (or 0 with `count === 0`). A 2-D `size=(rows, cols)`
   * is the same stream as `count = rows * cols`, row by row. `n = 1` draws nothing, as in numpy.
   */
  choice(n: number, count: number): Uint32Array;
  /**
   * `rng.integers(2, size=count, dtype=bool)`: `count` fair coin flips as 0/1. Each 32-bit draw
   * gives 32 flips, least significant bit first; like numpy, a draw's unused bits are dropped at
   * the end of the call.
   */
  booleans(count: number): Uint8Array;
  /**
   * The next uint32 of the stream, numpy's `next_uint32` (what `rng.integers(0, 2**32,
   * dtype=np.uint32)` returns one by one).
   */
  nextUint32(): number;
}

class Pcg64Generator implements NumpyGenerator {
  private readonly bits: Pcg64Words;
  /** Index of the next unused word in `bits.words`; `WORDS` means refill first. */
  private next = WORDS;

  constructor(seed: number | bigint) {
    this.bits = new Pcg64Words(seed);
  }

  nextUint32(): number {
    if (this.next === WORDS) {
      this.bits.generate(BLOCK);
      this.next = 0;
    }
    return this.bits.words[this.next++]!;
  }

  choice(n: number, count: number): Uint32Array {
    checkCount(count);
    if (!Number.isInteger(n) || n < 0 || n > TWO_32) {
      throw new RangeError(`choice: n must be an integer in [1, 2**32], got ${n}`);
    }
    const result = new Uint32Array(count);
    if (count === 0) return result;
    if (n === 0) throw new RangeError('choice: n must be positive unless no samples are taken');
    // random_bounded_uint64_fill with rng = n - 1 ≤ 0xFFFFFFFF takes the 32-bit paths.
    // rng = 0: all zeros, nothing drawn.
    if (n === 1) return result;
    // rng = 0xFFFFFFFF: Lemire's 32-bit method can't hold n = 2**32, so numpy returns raw draws.
    if (n === TWO_32) {
      for (let i = 0; i < count; i++) result[i] = this.nextUint32();
      return result;
    }
    // Lemire (buffered_bounded_lemire_uint32): m = u * n as 64 bits; the high word is the
    // sample unless the low word is below 2**32 mod n, then draw again. numpy computes the
    // threshold only when low < n, which changes nothing as the threshold is below n.
    const threshold = TWO_32 % n;
    const bits = this.bits;
    const words = bits.words;
    let next = this.next;
    if (n <= 0x200000) {
      // u * n < 2**53 is exact in a double; `>>> 0` takes it mod 2**32.
      for (let i = 0; i < count; i++) {
        let m: number;
        let lo: number;
        do {
          if (next === WORDS) {
            bits.generate(BLOCK);
            next = 0;
          }
          m = words[next++]! * n;
          lo = m >>> 0;
        } while (lo < threshold);
        result[i] = (m - lo) * INV_2_32;
      }
    } else {
      // Larger n: split u into 16-bit halves so each partial product is exact.
      for (let i = 0; i < count; i++) {
        let u: number;
        do {
          if (next === WORDS) {
            bits.generate(BLOCK);
            next = 0;
          }
          u = words[next++]!;
        } while (Math.imul(u, n) >>> 0 < threshold);
        const high = (u >>> 16) * n + Math.floor(((u & 0xffff) * n) / 65536);
        result[i] = Math.floor(high / 65536);
      }
    }
    this.next = next;
    return result;
  }

  booleans(count: number): Uint8Array {
    checkCount(count);
    const result = new Uint8Array(count);
    // random_bounded_bool_fill keeps its bit buffer in the call: a fresh draw for flip 0 and
    // every 32nd flip after it, the rest of the last draw dropped when the call returns.
    let buf = 0;
    for (let i = 0; i < count; i++) {
      if ((i & 31) === 0) buf = this.nextUint32();
      else buf >>>= 1;
      result[i] = buf & 1;
    }
    return result;
  }
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`sample count must be a non-negative integer, got ${count}`);
  }
}

/**
 * A generator whose draws equal `np.random.default_rng(seed)`'s: PCG64 seeded through
 * `SeedSequence`, as sacreBLEU's `np.random.default_rng(seed)` (default seed 12345). `seed` is
 * a non-negative integer; give seeds above `Number.MAX_SAFE_INTEGER` as a `bigint`.
 *
 * @example
 * ```ts
 * const rng = createNumpyGenerator(12345);
 * const idx = rng.choice(3000, 1000 * 3000); // rng.choice(3000, size=(1000, 3000))
 * ```
 */
export function createNumpyGenerator(seed: number | bigint): NumpyGenerator {
  return new Pcg64Generator(seed);
}
