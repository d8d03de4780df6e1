/**
 * The resampling RNG. Draws continue one stream, as numpy's `Generator` does:
 * `choice(n, count)` is `rng.choice(n, size=count, replace=True)`, `booleans(count)` is
 * `rng.integers(2, size=count, dtype=bool)` (1 for true).
 */
export interface ResamplingRng {
  choice(n: number, count: number): Uint32Array;
  booleans(count: number): Uint8Array;
}
