/** Every failure this package raises on purpose has one of these codes. */
export type CorpusErrorCode =
  | 'invalid-options'
  | 'invalid-input'
  | 'invalid-record'
  | 'tokenizer-error'
  | 'store-error'
  | 'export-error'
  | 'hub-error'
  | 'checksum-mismatch'
  | 'licence-not-allowed'
  | 'io-error'
  | 'aborted';

/**
 * The one error type of `@cncf-llm/corpus`. `code` is stable and safe to switch on; `message`
 * says what was done, to what, and what to do next. Hub errors also carry `status` and `url`.
 * Tokens never appear in a message.
 */
export class CorpusError extends Error {
  override readonly name = 'CorpusError';
  readonly code: CorpusErrorCode;
  readonly status: number | undefined;
  readonly url: string | undefined;

  constructor(
    code: CorpusErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; url?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.url = options.url;
  }
}

/** Narrows an unknown value to a {@link CorpusError}, optionally of one code. */
export function isCorpusError(error: unknown, code?: CorpusErrorCode): error is CorpusError {
  return error instanceof CorpusError && (code === undefined || error.code === code);
}
