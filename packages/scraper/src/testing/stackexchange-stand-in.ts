import { gzipSync } from 'node:zlib';
import { type RecordedRequest, startHttpStandIn } from './http-stand-in.js';

/** A question in the API's own JSON shape (snake_case, epoch-second dates, HTML body). */
export interface ApiQuestion {
  question_id: number;
  title: string;
  body: string;
  tags: string[];
  score: number;
  link: string;
  creation_date: number;
  last_activity_date?: number;
  owner?: {
    user_id?: number;
    display_name?: string;
    link?: string;
    user_type?: string;
    reputation?: number;
  };
  accepted_answer_id?: number;
  answer_count: number;
  is_answered?: boolean;
  view_count?: number;
  content_license?: string;
}

/** An answer in the API's own JSON shape. */
export interface ApiAnswer {
  answer_id: number;
  question_id: number;
  body: string;
  score: number;
  is_accepted: boolean;
  creation_date: number;
  last_activity_date?: number;
  owner?: ApiQuestion['owner'];
  content_license?: string;
}

/** Options of {@link startStackExchangeStandIn}. */
export interface StackExchangeStandInOptions {
  questions: ApiQuestion[];
  answers: ApiAnswer[];
  /** The API site name it serves; others get `bad_parameter`. @default 'stackoverflow' */
  site?: string;
  /** Every Nth response carries `backoff`, and the method is refused (throttle_violation) until it has passed. */
  backoffEvery?: number;
  /** Seconds in `backoff`. @default 10 */
  backoffSeconds?: number;
  /** Daily quota: `quota_max`, counted down per request; at 0 every request is throttled. @default 10000 */
  quota?: number;
  /** Refuse the first request with `throttle_violation` (error_id 502). */
  throttleOnce?: boolean;
  /** Answer the first request with this HTTP status and no API body. */
  failOnce?: 429 | 503;
  /** `gzip` as the real API (with `Content-Encoding`); `gzip-without-header`; or `identity`. @default 'gzip' */
  encoding?: 'gzip' | 'gzip-without-header' | 'identity';
  /** Clock in epoch ms for backoff enforcement; share with the client's `now`. @default Date.now */
  now?: () => number;
}

/** A running StackExchange stand-in. */
export interface StackExchangeStandIn {
  /** Pass as the client's `baseUrl` (ends in `/2.3`). */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Requests refused because they ignored a `backoff`. */
  backoffViolations(): number;
  quotaRemaining(): number;
  close(): Promise<void>;
}

/**
 * Starts a StackExchange API 2.3 stand-in on 127.0.0.1: `GET /2.3/questions` (tagged, sort by
 * votes or creation, `min`, paging, `filter=withbody`) and `GET /2.3/questions/{ids}/answers`,
 * answering in the real wrapper (`items`, `has_more`, `quota_max`, `quota_remaining`,
 * `backoff`, and `error_id`/`error_name`/`error_message` with HTTP 400), gzip-encoded like the
 * real API.
 */
export async function startStackExchangeStandIn(
  options: StackExchangeStandInOptions,
): Promise<StackExchangeStandIn> {
  const now = options.now ?? Date.now;
  const site = options.site ?? 'stackoverflow';
  const quotaMax = options.quota ?? 10_000;
  let quotaRemaining = quotaMax;
  let responses = 0;
  let violations = 0;
  let throttlePending = options.throttleOnce ?? false;
  let failPending = options.failOnce;
  const notBefore = new Map<string, number>();

  const server = await startHttpStandIn((_request, response, url) => {
    const send = (status: number, body: unknown) => {
      const json = Buffer.from(JSON.stringify(body));
      const encoding = options.encoding ?? 'gzip';
      const payload = encoding === 'identity' ? json : gzipSync(json);
      response.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        ...(encoding === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
        'access-control-allow-origin': '*',
      });
      response.end(payload);
    };
    const error = (id: number, name: string, message: string) =>
      send(400, { error_id: id, error_message: message, error_name: name });

    if (failPending !== undefined) {
      const status = failPending;
      failPending = undefined;
      response.writeHead(status, { 'content-type': 'text/html', 'retry-after': '3' });
      response.end(`<html><body><h1>${status}</h1></body></html>`);
      return;
    }
    if (throttlePending) {
      throttlePending = false;
      error(
        502,
        'throttle_violation',
        'too many requests from this IP, more requests available in 4 seconds',
      );
      return;
    }
    if (quotaRemaining <= 0) {
      error(
        502,
        'throttle_violation',
        'too many requests from this IP, more requests available in 61234 seconds',
      );
      return;
    }
    if ((url.searchParams.get('site') ?? '') !== site) {
      error(
        400,
        'bad_parameter',
        `No site found for name \`${url.searchParams.get('site') ?? ''}\``,
      );
      return;
    }

    const answersRoute = /^\/2\.3\/questions\/([0-9;]+)\/answers$/.exec(url.pathname);
    const method =
      answersRoute !== null
        ? 'questions/{ids}/answers'
        : url.pathname === '/2.3/questions'
          ? 'questions'
          : null;
    if (method === null) {
      error(404, 'no_method', 'method not recognized');
      return;
    }
    if ((notBefore.get(method) ?? 0) > now()) {
      violations += 1;
      error(502, 'throttle_violation', 'Violation of backoff parameter');
      return;
    }

    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get('pagesize') ?? 30)));
    const withBody = url.searchParams.get('filter') === 'withbody';
    const min = url.searchParams.get('min');
    let items: Record<string, unknown>[];
    if (answersRoute !== null) {
      const ids = new Set((answersRoute[1] as string).split(';').map(Number));
      if (ids.size > 100) {
        error(400, 'bad_parameter', 'ids cannot contain more than 100 elements');
        return;
      }
      items = options.answers
        .filter((a) => ids.has(a.question_id))
        .sort((a, b) => b.score - a.score || a.answer_id - b.answer_id)
        .map((a) => ({ ...a }));
    } else {
      const tagged = (url.searchParams.get('tagged') ?? '').split(';').filter((t) => t !== '');
      items = options.questions
        .filter((q) => tagged.every((t) => q.tags.includes(t)))
        .filter((q) => min === null || q.score >= Number(min))
        .sort((a, b) =>
          url.searchParams.get('sort') === 'creation'
            ? b.creation_date - a.creation_date
            : b.score - a.score || a.question_id - b.question_id,
        )
        .map((q) => ({ ...q }));
    }
    if (!withBody) for (const item of items) delete item.body;
    const start = (page - 1) * pageSize;
    quotaRemaining -= 1;
    responses += 1;
    const wrapper: Record<string, unknown> = {
      items: items.slice(start, start + pageSize),
      has_more: items.length > start + pageSize,
      quota_max: quotaMax,
      quota_remaining: quotaRemaining,
    };
    if (options.backoffEvery !== undefined && responses % options.backoffEvery === 0) {
      const seconds = options.backoffSeconds ?? 10;
      wrapper.backoff = seconds;
      notBefore.set(method, now() + seconds * 1000);
    }
    send(200, wrapper);
  });

  return {
    baseUrl: `${server.origin}/2.3`,
    requests: server.requests,
    backoffViolations: () => violations,
    quotaRemaining: () => quotaRemaining,
    close: server.close,
  };
}
