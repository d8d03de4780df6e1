import { type ZodType, z } from 'zod';
import { ScraperError } from '../errors.js';

/**
 * Validates the options object of `what` (a function or class name) with `schema`, turning
 * every problem into one `ScraperError` of code `invalid-options` that names the option.
 */
export function parseOptions<T extends ZodType>(
  schema: T,
  options: unknown,
  what: string,
): z.output<T> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return `${where}${issue.message}`;
  });
  throw new ScraperError(
    'invalid-options',
    `Invalid options for ${what}: ${problems.join('; ')}. Fix the option and call it again.`,
    { cause: parsed.error },
  );
}

/** A zod schema for a function option (zod checks only that it is callable). */
export function functionSchema<F>() {
  return z.custom<F>((value) => typeof value === 'function', { message: 'expected a function' });
}

/** A zod schema for an `AbortSignal` option. */
export const abortSignalSchema = z.custom<AbortSignal>((value) => value instanceof AbortSignal, {
  message: 'expected an AbortSignal',
});
