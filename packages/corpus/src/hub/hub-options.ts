import { z } from 'zod';

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

export { parseOptions } from '../parse-options.js';
