/** Every failure this package raises on purpose has one of these codes. */
export type BenchErrorCode =
  | 'invalid-options'
  | 'invalid-input'
  | 'length-mismatch'
  | 'empty-input'
  | 'unknown-metric'
  | 'unknown-tokenizer'
  | 'io-error';

/**
 * The one error type of `@cncf-llm/bench`. `code` is stable and safe to switch on; `message`
 * says what was wrong and what to do about it.
 */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  readonly code: BenchErrorCode;

  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Narrows an unknown value to a {@link BenchError}, optionally of one code. */
export function isBenchError(error: unknown, code?: BenchErrorCode): error is BenchError {
  return error instanceof BenchError && (code === undefined || error.code === code);
}
