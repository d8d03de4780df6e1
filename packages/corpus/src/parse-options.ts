import type { ZodType, z } from 'zod';
import { CorpusError } from './errors.js';

/**
 * Validates the options object of `what` (a function name) with `schema`, turning every
 * problem into one `CorpusError` of code `invalid-options` that names the option.
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
  throw new CorpusError(
    'invalid-options',
    `Invalid options for ${what}: ${problems.join('; ')}. Fix the option and call it again.`,
    { cause: parsed.error },
  );
}
