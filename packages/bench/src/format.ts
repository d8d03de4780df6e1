/**
 * Formats `value` with `digits` decimals the way Python's `f"{value:.{digits}f}"` does, so every
 * printed figure matches sacreBLEU's. JavaScript's `toFixed` rounds exact ties away from zero;
 * Python rounds them to even (`0.125` → `0.12`).
 */
export function formatFixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  const fixed = value.toFixed(digits);
  // An exact tie shows as a 5 followed only by zeros in the exact decimal expansion.
  const exact = Math.abs(value).toFixed(Math.min(100, digits + 60));
  const tail = exact.slice(exact.indexOf('.') + 1 + digits);
  if (!/^50*$/.test(tail)) return fixed;
  const truncated = Math.abs(value)
    .toFixed(digits + 1)
    .slice(0, -1);
  const lastDigit = Number(truncated.at(-1) === '.' ? truncated.at(-2) : truncated.at(-1));
  if (lastDigit % 2 === 0) {
    const sign = value < 0 ? '-' : '';
    return `${sign}${digits === 0 ? truncated.replace(/\.$/, '') : truncated}`;
  }
  return fixed;
}
