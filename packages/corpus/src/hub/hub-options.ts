import { z } from 'zod';
import { CorpusError } from '../errors.js';

/** Schema pieces the push and pull options share. */
export const FetchSchema = z.custom<typeof fetch>((value) => typeof value === 'function', {
  message: 'expected a fetch function',
});
export const SignalSchema = z.custom<AbortSignal>((value) => value instanceof AbortSignal, {
  message: 'expected an AbortSignal',
});
export const CallbackSchema = z.custom<(event: never) => void>(
  (value) => typeof value === 'function',
  { message: 'expected a function' },
);

/** Parses options at the boundary; a bad option is a {@link CorpusError} `invalid-options`. */
export function parseOptions<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new CorpusError(
      'invalid-options',
      `Invalid ${what} options:\n${z.prettifyError(parsed.error)}`,
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}
