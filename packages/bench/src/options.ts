import type * as z from 'zod/mini';
import { BenchError } from './errors.js';

/**
 * Validates `options` with a metric's zod schema; every problem becomes part of one
 * {@link BenchError} with code `invalid-options` that names the option and what it accepts.
 */
export function parseOptions<T extends z.ZodMiniType>(
  schema: T,
  options: unknown,
  metric: string,
): z.output<T> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return where + describeIssue(issue);
  });
  throw new BenchError('invalid-options', `invalid ${metric} options — ${problems.join('; ')}.`, {
    cause: parsed.error,
  });
}

// zod/mini (chosen because it loads in ~10 ms instead of ~90) ships no message locale: schemas
// set their own messages where it matters, and the common cases are described here.
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.message && issue.message !== 'Invalid input') return issue.message;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown option ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}
