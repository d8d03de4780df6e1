const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * Reads a Kubernetes resource quantity (`2`, `500m`, `64Gi`, `1e9`, `128974848`) as a number of
 * base units (cores, bytes, devices). `NaN` when it is not a quantity.
 */
export function parseQuantity(quantity: string | number | undefined): number {
  if (typeof quantity === 'number') return quantity;
  if (quantity === undefined) return Number.NaN;
  const m =
    /^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/.exec(
      quantity.trim(),
    );
  if (!m) return Number.NaN;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ''] ?? Number.NaN);
}

/**
 * The spec's memory (`64G`, read as Slurm reads it: powers of 1024) as a Kubernetes quantity
 * (`64Gi`), so the same spec asks both schedulers for the same number of bytes.
 */
export function specMemoryToQuantity(memory: string): string {
  const m = /^(\d+)([KMGT])$/.exec(memory);
  if (!m) return memory;
  return `${m[1]}${m[2]}i`;
}
