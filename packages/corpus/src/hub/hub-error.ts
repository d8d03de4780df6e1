import { HubApiError } from '@huggingface/hub';
import { CorpusError } from '../errors.js';
import { redactSecret } from './hub-credentials.js';

/** What was being done when a Hub call failed, for the message. */
export interface HubErrorContext {
  /** e.g. `creating dataset repo cncf-llm/docs`. */
  action: string;
  hubUrl: string;
  /** Redacted from everything the error carries. */
  token: string | undefined;
}

/**
 * Turns whatever a Hub call threw into a {@link CorpusError} that says what was being done and
 * what to do next. The token is redacted from the message and URL, signed query strings (LFS
 * upload URLs) are cut, and the original error is kept as `cause` only when it holds no token.
 */
export function toHubError(error: unknown, context: HubErrorContext): CorpusError {
  if (error instanceof CorpusError) return error;
  const clean = (text: string) => stripQueries(redactSecret(text, context.token));
  if (isAbort(error)) {
    return new CorpusError(
      'aborted',
      `Stopped while ${context.action}: the operation was aborted.`,
    );
  }
  const cause = holdsSecret(error, context.token) ? undefined : error;
  if (error instanceof HubApiError) {
    const said = clean(error.message);
    const url = clean(error.url);
    const status = error.statusCode;
    const next =
      status === 401
        ? ' Check that HF_TOKEN (or accessToken) holds a valid, unexpired Hub token, and that the repository exists.'
        : status === 403
          ? ' The token needs write access to the namespace (a "write" token, or a fine-grained token with repo write permission).'
          : status === 404
            ? ' Check the repository name and revision.'
            : status === 412
              ? ' Someone else committed to the branch meanwhile; push again to upload on top of their commit.'
              : status >= 500 || status === 429
                ? ' The Hub is busy or failing; try again later.'
                : '';
    return new CorpusError(
      'hub-error',
      `The Hub answered HTTP ${status} while ${context.action}: ${said}.${next}`,
      { status, url, ...(cause !== undefined && { cause }) },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
  if (error instanceof TypeError && /fetch failed/i.test(message)) {
    return new CorpusError(
      'hub-error',
      `Could not reach the Hub at ${context.hubUrl} while ${context.action}${reason ? ` (${clean(reason)})` : ''}: check the network and hubUrl/HF_ENDPOINT.`,
      { url: context.hubUrl, ...(cause !== undefined && { cause }) },
    );
  }
  return new CorpusError('hub-error', `Failed while ${context.action}: ${clean(message)}`, {
    ...(cause !== undefined && { cause }),
  });
}

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || error.name === 'TimeoutError') &&
    !(error instanceof HubApiError)
  );
}

function holdsSecret(error: unknown, token: string | undefined): boolean {
  if (token === undefined) return false;
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): boolean => {
    if (depth > 4 || value === null || value === undefined || seen.has(value)) return false;
    if (typeof value === 'string') return value.includes(token);
    if (typeof value !== 'object') return false;
    seen.add(value);
    if (value instanceof Error) {
      if (visit(value.message, depth + 1) || visit(value.stack, depth + 1)) return true;
      if (visit(value.cause, depth + 1)) return true;
    }
    return Object.values(value).some((inner) => visit(inner, depth + 1));
  };
  return visit(error, 0);
}

/** Cuts query strings from URLs in `text`: LFS upload URLs carry signatures. */
function stripQueries(text: string): string {
  return text.replace(/(https?:\/\/[^\s?#"']+)\?[^\s"']*/g, '$1?…');
}

/** Throws {@link CorpusError} `aborted` when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, action: string): void {
  if (signal?.aborted) {
    throw new CorpusError('aborted', `Stopped before ${action}: the operation was aborted.`);
  }
}
