import { createHash } from 'node:crypto';
import type { TrainSpec } from './spec/schema.js';

/** Canonical JSON: keys sorted, so the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

/**
 * A short hash of the validated spec. Stamped on every submitted job (Slurm `--comment`, a
 * Kubernetes annotation) so a second launch of the same name can tell "already running this"
 * from "a different spec under a name in use".
 */
export function specHash(spec: TrainSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}
