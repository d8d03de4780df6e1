/** Every failure this package raises on purpose has one of these codes. */
export type ScraperErrorCode =
  | 'invalid-options'
  | 'invalid-landscape'
  | 'invalid-record'
  | 'invalid-response'
  | 'http-error'
  | 'timeout'
  | 'too-large'
  | 'redirect-loop'
  | 'too-many-redirects'
  | 'network-error'
  | 'truncated-body'
  | 'robots-disallowed'
  | 'out-of-scope'
  | 'unsupported-content-type'
  | 'extract-failed'
  | 'rate-limited'
  | 'not-github'
  | 'io-error'
  | 'aborted';

/**
 * The one error type of `@cncf-llm/scraper`. `code` is stable and safe to switch on; `message`
 * says what was done, to what, and what to do next. HTTP failures also carry `status`, `url`,
 * a trimmed `body` and whether a retry could help. Tokens are never part of a message.
 */
export class ScraperError extends Error {
  override readonly name = 'ScraperError';
  readonly code: ScraperErrorCode;
  readonly url: string | undefined;
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly isRetryable: boolean;

  constructor(
    code: ScraperErrorCode,
    message: string,
    options: {
      cause?: unknown;
      url?: string;
      status?: number;
      body?: string;
      isRetryable?: boolean;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.url = options.url;
    this.status = options.status;
    this.body = options.body === undefined ? undefined : options.body.slice(0, 500);
    this.isRetryable = options.isRetryable ?? false;
  }
}

/** Narrows an unknown value to a {@link ScraperError}, optionally of one code. */
export function isScraperError(error: unknown, code?: ScraperErrorCode): error is ScraperError {
  return error instanceof ScraperError && (code === undefined || error.code === code);
}
