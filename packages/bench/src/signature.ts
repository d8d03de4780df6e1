import { SIGNATURE_VERSION } from './version.js';

/** One `key:value` pair of a signature, with sacreBLEU's short key for `--short` signatures. */
export interface SignatureField {
  readonly key: string;
  readonly short: string;
  readonly value: string;
}

/** What the run adds to a metric's own signature fields. */
export interface SignatureContext {
  /** Number of reference streams, or `'var'` when segments have different numbers of references. */
  readonly nrefs: number | 'var';
  /** Bootstrap resamples, when confidence intervals were computed. */
  readonly bootstrap?: number | undefined;
  /** Approximate randomization trials, when a paired AR test was run. */
  readonly approximateRandomization?: number | undefined;
  /** RNG seed of the resampling, `'none'` when unseeded. */
  readonly seed?: number | string | undefined;
}

/**
 * A reproducibility signature in sacreBLEU's form: shared fields first (`nrefs`, `bs`, `ar`,
 * `seed`), then the metric's own, and `version` last.
 */
export class Signature {
  readonly fields: readonly SignatureField[];

  constructor(context: SignatureContext, metricFields: readonly SignatureField[]) {
    const shared: SignatureField[] = [{ key: 'nrefs', short: '#', value: String(context.nrefs) }];
    if (context.bootstrap !== undefined)
      shared.push({ key: 'bs', short: 'bs', value: String(context.bootstrap) });
    if (context.approximateRandomization !== undefined)
      shared.push({ key: 'ar', short: 'ar', value: String(context.approximateRandomization) });
    if (context.seed !== undefined)
      shared.push({ key: 'seed', short: 'rs', value: String(context.seed).toLowerCase() });
    this.fields = [
      ...shared,
      ...metricFields,
      { key: 'version', short: 'v', value: SIGNATURE_VERSION },
    ];
  }

  /** `nrefs:1|case:mixed|...|version:...`, or the abbreviated keys when `short`. */
  format(options: { short?: boolean } = {}): string {
    return this.fields.map((f) => `${options.short ? f.short : f.key}:${f.value}`).join('|');
  }

  /** The fields as an object, for JSON output. */
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.fields.map((f) => [f.key, f.value]));
  }

  toString(): string {
    return this.format();
  }
}

/** `yes`/`no` as sacreBLEU writes booleans in signatures. */
export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
