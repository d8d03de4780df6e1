import { type BleuOptions, createBleu } from './bleu/bleu.js';
import { type ChrfOptions, createChrf } from './chrf/chrf.js';
import { BenchError } from './errors.js';
import type { BaseScore, Metric, MetricId } from './metric.js';
import { createTer, type TerOptions } from './ter/ter.js';

/** Options of every metric, keyed by metric id. */
export interface MetricOptions {
  bleu?: BleuOptions;
  chrf?: ChrfOptions;
  ter?: TerOptions;
}

/** The metric ids, in sacreBLEU's reporting order. */
export const METRIC_IDS: readonly MetricId[] = ['bleu', 'chrf', 'ter'];

/** Creates a metric by id (`bleu`, `chrf`, `ter`), case-insensitively. */
export function createMetric(id: string, options: MetricOptions = {}): Metric<BaseScore, unknown> {
  switch (id.toLowerCase()) {
    case 'bleu':
      return createBleu(options.bleu) as Metric<BaseScore, unknown>;
    case 'chrf':
      return createChrf(options.chrf) as Metric<BaseScore, unknown>;
    case 'ter':
      return createTer(options.ter) as Metric<BaseScore, unknown>;
    default:
      throw new BenchError(
        'unknown-metric',
        `unknown metric '${id}'; use one of: ${METRIC_IDS.join(', ')}.`,
      );
  }
}
