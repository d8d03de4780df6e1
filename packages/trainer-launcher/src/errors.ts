import { redactSecrets } from './secrets.js';

/** Every failure this package raises on purpose has one of these codes. */
export type LauncherErrorCode =
  | 'invalid-options'
  | 'invalid-spec'
  | 'spec-not-found'
  | 'exceeds-cluster'
  | 'render-failed'
  | 'submit-failed'
  | 'already-submitted'
  | 'job-not-found'
  | 'command-failed'
  | 'backend-error'
  | 'invalid-response'
  | 'timeout'
  | 'io-error'
  | 'aborted';

/**
 * The one error type of `@cncf-llm/trainer-launcher`. `code` is stable and safe to switch on;
 * `message` says what was done, to what, and what to do next. Secrets in the message (tokens read
 * from the environment, `Bearer …`, `X-SLURM-USER-TOKEN`) are redacted before it is stored.
 */
export class LauncherError extends Error {
  override readonly name = 'LauncherError';
  readonly code: LauncherErrorCode;
  /** The backend that raised it, when one did. */
  readonly backend: 'slurm' | 'k8s' | undefined;
  /** HTTP status (slurmrestd, kube-apiserver) or exit code of a command, when there was one. */
  readonly status: number | undefined;
  /** Problems found by validation, one per item, each naming its path and the fix. */
  readonly issues: readonly string[];

  constructor(
    code: LauncherErrorCode,
    message: string,
    options: {
      cause?: unknown;
      backend?: 'slurm' | 'k8s';
      status?: number;
      issues?: readonly string[];
    } = {},
  ) {
    super(
      redactSecrets(message),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.backend = options.backend;
    this.status = options.status;
    this.issues = (options.issues ?? []).map((issue) => redactSecrets(issue));
  }
}

/** Narrows an unknown value to a {@link LauncherError}, optionally of one code. */
export function isLauncherError(error: unknown, code?: LauncherErrorCode): error is LauncherError {
  return error instanceof LauncherError && (code === undefined || error.code === code);
}
