import type { z } from 'zod';
import { BenchError } from './errors.js';

/**
 * Validates `options` with a metric's zod schema; every problem becomes part of one
 * {@link BenchError} with code `invalid-options` that names the option.
 */
export function parseOptions<T extends z.ZodType>(
  schema: T,
  options: unknown,
  metric: string,
): z.output<T> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  throw new BenchError('invalid-options', `invalid ${metric} options — ${problems}.`, {
    cause: parsed.error,
  });
}
