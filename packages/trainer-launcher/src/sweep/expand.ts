import { LauncherError } from '../errors.js';
import { SWEEPABLE, type TrainSpec } from '../spec/schema.js';

/** One trial of a sweep: its own name, the values it sets, and the full spec it runs. */
export interface Trial {
  /** 0-based; the Slurm array task id and the suffix of the Kubernetes Job name. */
  index: number;
  /** `<run>-t<index>` (three digits). */
  name: string;
  /** Sweep parameter → value for this trial. */
  values: Record<string, number | string | boolean>;
  /** The spec with this trial's values applied, `sweep` removed and `output.dir` per trial. */
  spec: TrainSpec;
}

/** The most trials one sweep may expand to (a Slurm array's default `MaxArraySize` is 1001). */
export const MAX_TRIALS = 1000;

/** `<name>-t007`: the name of trial `index` of run `name`. */
export function trialName(name: string, index: number): string {
  return `${name}-t${String(index).padStart(3, '0')}`;
}

/** Deterministic PRNG (mulberry32) so a random sweep with the same seed gives the same trials. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1) as string] = value;
}

/**
 * Expands `spec.sweep` into trials: every combination for `grid` (in the order the parameters
 * are written, last one fastest), or `trials` seeded draws for `random` (lists pick uniformly;
 * ranges draw uniformly or log-uniformly). A spec without a sweep is one trial, index 0, with
 * the run's own name.
 */
export function expandSweep(spec: TrainSpec): Trial[] {
  const { sweep, ...rest } = spec;
  if (!sweep) return [{ index: 0, name: spec.name, values: {}, spec }];
  const names = Object.keys(sweep.parameters) as (keyof typeof SWEEPABLE)[];
  const combos: Record<string, number | string | boolean>[] = [];
  if (sweep.strategy === 'grid') {
    let acc: Record<string, number | string | boolean>[] = [{}];
    for (const name of names) {
      const values = sweep.parameters[name];
      if (!Array.isArray(values)) continue;
      acc = acc.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
      if (acc.length > MAX_TRIALS) break;
    }
    combos.push(...acc);
  } else {
    const next = rng(sweep.seed);
    for (let t = 0; t < (sweep.trials ?? 0); t++) {
      const combo: Record<string, number | string | boolean> = {};
      for (const name of names) {
        const p = sweep.parameters[name];
        if (p === undefined) continue;
        if (Array.isArray(p))
          combo[name] = p[Math.floor(next() * p.length)] as number | string | boolean;
        else {
          const u = next();
          let v = p.log
            ? Math.exp(Math.log(p.min) + u * (Math.log(p.max) - Math.log(p.min)))
            : p.min + u * (p.max - p.min);
          v = p.integer ? Math.round(v) : Number(v.toPrecision(6));
          combo[name] = v;
        }
      }
      combos.push(combo);
    }
  }
  if (combos.length > MAX_TRIALS) {
    throw new LauncherError(
      'invalid-spec',
      `${spec.name}: the sweep expands to more than ${MAX_TRIALS} trials. Use fewer values, or strategy "random" with sweep.trials.`,
    );
  }
  return combos.map((values, index) => {
    const trialSpec = structuredClone(rest) as TrainSpec;
    const name = trialName(spec.name, index);
    trialSpec.name = name;
    trialSpec.output = {
      ...trialSpec.output,
      dir: `${spec.output.dir.replace(/\/+$/, '')}/${name}`,
    };
    if (trialSpec.output.hub) {
      // Trials are candidates: only the best one should be pushed, by a later non-sweep run.
      trialSpec.output = { ...trialSpec.output, hub: undefined };
    }
    for (const [key, value] of Object.entries(values)) {
      setPath(
        trialSpec as unknown as Record<string, unknown>,
        SWEEPABLE[key as keyof typeof SWEEPABLE],
        value,
      );
    }
    return { index, name, values, spec: trialSpec };
  });
}
