import { LauncherError, type LauncherErrorCode } from '../errors.js';
import { type ApiStatusBody, ApiStatusBodySchema } from './schemas.js';

/** What was being done when a call failed, for the message. */
export interface ApiCallContext {
  /** "create", "read", "delete"… */
  action: string;
  /** "Job default/my-run". */
  target: string;
  /** The API server URL from the kubeconfig (no credentials in it). */
  server: string | undefined;
}

function statusBody(body: unknown): ApiStatusBody | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body.slice(0, 300) };
    }
  }
  const parsed = ApiStatusBodySchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function httpCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

function systemCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the error says the API server could not be reached at all. */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof LauncherError)
    return error.code === 'backend-error' && error.status === undefined;
  return httpCode(error) === undefined && systemCode(error) !== undefined;
}

/** True for an API 404 (object, or the whole resource type, not found). */
export function isNotFound(error: unknown): boolean {
  return httpCode(error) === 404 || (error instanceof LauncherError && error.status === 404);
}

/** True for an API 409 (already exists, or a conflicting update). */
export function isConflict(error: unknown): boolean {
  return httpCode(error) === 409;
}

/**
 * Turns a failed API call into a {@link LauncherError} that says what was done, to what, and what
 * to do next. The API server's own message is kept (it names fields and quotas); credentials are
 * never part of it, and the error's constructor redacts any token shape that slips in.
 */
export function kubernetesError(error: unknown, context: ApiCallContext): LauncherError {
  if (error instanceof LauncherError) return error;
  const what = `${context.action} ${context.target}`;
  const server = context.server ?? 'the API server';
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'AbortError') {
    return new LauncherError('aborted', `${what}: aborted`, { backend: 'k8s', cause: error });
  }
  const status = httpCode(error);
  if (status === undefined) {
    const code = systemCode(error) ?? (error as Error)?.message ?? String(error);
    return new LauncherError(
      'backend-error',
      `${what}: cannot reach the Kubernetes API server at ${server} (${code}). Check that the cluster is up and that the kubeconfig's server and certificate authority are right.`,
      { backend: 'k8s', cause: error },
    );
  }
  const body = statusBody((error as { body?: unknown }).body);
  const said = body?.message ? `: ${body.message}` : '';
  const make = (code: LauncherErrorCode, message: string) =>
    new LauncherError(code, message, { backend: 'k8s', status, cause: error });
  switch (status) {
    case 401:
      return make(
        'backend-error',
        `${what}: the API server at ${server} rejected the credentials (401 Unauthorized). Refresh the kubeconfig's token or client certificate (\`kubectl config view --minify\` shows which user is used).`,
      );
    case 403:
      return make(
        'backend-error',
        `${what}: forbidden (403)${said}. Ask the cluster admin for a Role that allows it in this namespace, or use another namespace.`,
      );
    case 404:
      return make('job-not-found', `${what}: not found (404)${said}.`);
    case 409:
      return make(
        'already-submitted',
        `${what}: already exists (409)${said}. Give the run another name, or cancel the existing one first.`,
      );
    case 400:
    case 422: {
      const causes = (body?.details?.causes ?? [])
        .map((c) => `${c.field ?? '?'}: ${c.message ?? c.reason ?? ''}`)
        .join('; ');
      return make(
        'submit-failed',
        `${what}: the API server refused it (${status})${said}${causes && !said.includes(causes) ? ` [${causes}]` : ''}. Fix the spec field behind it and launch again.`,
      );
    }
    default:
      return make(
        'backend-error',
        `${what}: the API server answered ${status}${said}.${status === 429 || status >= 500 ? ' Try again shortly.' : ''}`,
      );
  }
}
