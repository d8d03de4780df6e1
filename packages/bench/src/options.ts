import type * as z from 'zod/mini';
import { BenchError } from './errors.js';

/**
 * Validates `options` with a metric's zod schema; every problem becomes part of one
 * {@link BenchError} with code `invalid-options` that names the option, what it got and what it
 * accepts. An unknown key is answered with the accepted names, and sacreBLEU's Python spelling
 * (`no_punct`) with the camelCase one (`noPunct`).
 */
export function parseOptions<T extends z.ZodMiniType>(
  schema: T,
  options: unknown,
  metric: string,
): z.output<T> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const accepted = Object.keys((schema as { shape?: object }).shape ?? {});
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => {
        const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
        return camel !== key && accepted.includes(camel)
          ? `'${key}' (did you mean '${camel}'?)`
          : `'${key}'`;
      });
      return `unknown option ${keys.join(', ')}; ${metric} accepts ${accepted.join(', ')}`;
    }
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return where + describeIssue(issue, valueAt(options, issue.path));
  });
  throw new BenchError('invalid-options', `invalid ${metric} options — ${problems.join('; ')}.`, {
    cause: parsed.error,
  });
}

function valueAt(options: unknown, path: readonly PropertyKey[]): unknown {
  let value = options;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string '${value}'`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

// zod/mini (chosen because it loads in ~10 ms instead of ~90) ships no message locale: schemas
// set their own messages where it matters, and the common cases are described here.
function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const got = `, got ${describeValue(value)}`;
  if (issue.message && issue.message !== 'Invalid input') return issue.message + got;
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'boolean'
        ? `must be true or false${got}`
        : `expected ${issue.expected}${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${got}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${got}`;
    default:
      return issue.message;
  }
}
