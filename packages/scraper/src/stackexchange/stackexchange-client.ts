import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { ScraperError } from '../errors.js';
import { envFallback, redact } from '../http/env-fallback.js';
import { anySignal, realSleep, type Sleep, throwIfAborted } from '../http/sleep.js';
import {
  type AnswerSelection,
  AnswerSelectionSchema,
  decodeHtmlEntities,
  type PostOwner,
  type StackOverflowAnswer,
  type StackOverflowThread,
  selectAnswers,
  siteHost,
} from './thread.js';

/** Largest `pagesize` and id batch the API accepts. */
export const STACKEXCHANGE_MAX_PAGE_SIZE = 100;

/** A wait the client does before its next request. */
export interface StackExchangeWait {
  /** `backoff`: the API asked for a pause on this method; `throttle`: it refused a request; `retry`: 429/5xx. */
  reason: 'backoff' | 'throttle' | 'retry';
  /** `questions` or `answers`. */
  method: string;
  waitMs: number;
}

/** Options of {@link createStackExchangeClient}. */
export interface StackExchangeClientOptions {
  /** @default 'https://api.stackexchange.com/2.3' */
  baseUrl?: string;
  /** App key: 10,000 requests a day instead of 300. @default process.env.STACKEXCHANGE_KEY */
  key?: string;
  /** API site name. @default 'stackoverflow' */
  site?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Questions per page, at most 100. @default 100 */
  pageSize?: number;
  /** Longest single wait (backoff, throttle) before giving up with `rate-limited`. @default 900000 (15 min) */
  maxWaitMs?: number;
  /** Retries of throttle violations, 429, 5xx and network errors. @default 4 */
  maxRetries?: number;
  /** Per-request time limit. @default 30000 */
  timeoutMs?: number;
  /** @default a real, abortable sleep */
  sleep?: Sleep;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  signal?: AbortSignal;
  /** Told before every wait. */
  onWait?: (wait: StackExchangeWait) => void;
}

const ClientOptionsSchema = z.object({
  baseUrl: z.url().optional(),
  key: z.string().optional(),
  site: z.string().min(1).optional(),
  pageSize: z.number().int().min(1).max(STACKEXCHANGE_MAX_PAGE_SIZE).optional(),
  maxWaitMs: z.number().int().nonnegative().optional(),
  maxRetries: z.number().int().min(0).max(20).optional(),
  timeoutMs: z.number().int().positive().optional(),
});

/** Options of {@link StackExchangeClient.questionsByTag}. */
export interface QuestionsByTagOptions {
  /** One tag, or several joined with `;` (questions carrying all of them). */
  tag: string;
  /** Questions scoring lower are not read. */
  minScore?: number;
  /** Stop after this many threads. */
  maxQuestions?: number;
  /** @default 'accepted-or-top' */
  answers?: AnswerSelection;
  /** With `accepted-or-top`, other answers scoring at least this are kept too. */
  minAnswerScore?: number;
  signal?: AbortSignal;
}

const QuestionsByTagOptionsSchema = z.object({
  tag: z.string().min(1),
  minScore: z.number().int().optional(),
  maxQuestions: z.number().int().positive().optional(),
  answers: AnswerSelectionSchema.optional(),
  minAnswerScore: z.number().int().optional(),
});

/** A StackExchange API client. */
export interface StackExchangeClient {
  readonly site: string;
  /**
   * Questions with a tag, best-scored first, each with its chosen answers. Reads
   * `/questions?tagged=…&sort=votes` page by page and fetches the answers of each page in
   * one batched `/questions/{ids}/answers` call.
   */
  questionsByTag(
    options: QuestionsByTagOptions,
  ): AsyncGenerator<StackOverflowThread, void, undefined>;
  /** The quota the API reported last, or `null` before the first answer. */
  quota(): { max: number; remaining: number } | null;
}

const ApiOwnerSchema = z
  .object({
    display_name: z.string().optional(),
    link: z.string().optional(),
    user_id: z.number().int().optional(),
    user_type: z.string().optional(),
  })
  .optional();

const ApiQuestionSchema = z.object({
  question_id: z.number().int(),
  title: z.string(),
  body: z.string().optional(),
  tags: z.array(z.string()),
  score: z.number().int(),
  link: z.string(),
  creation_date: z.number().int(),
  owner: ApiOwnerSchema,
  accepted_answer_id: z.number().int().optional(),
  answer_count: z.number().int().nonnegative(),
  view_count: z.number().int().nonnegative().optional(),
  content_license: z.string().optional(),
});

const ApiAnswerSchema = z.object({
  answer_id: z.number().int(),
  question_id: z.number().int(),
  body: z.string().optional(),
  score: z.number().int(),
  is_accepted: z.boolean(),
  creation_date: z.number().int(),
  owner: ApiOwnerSchema,
  link: z.string().optional(),
  content_license: z.string().optional(),
});

// The common wrapper of every answer, errors included.
const WrapperSchema = z.object({
  items: z.array(z.unknown()).optional(),
  has_more: z.boolean().optional(),
  quota_max: z.number().int().optional(),
  quota_remaining: z.number().int().optional(),
  backoff: z.number().int().nonnegative().optional(),
  error_id: z.number().int().optional(),
  error_name: z.string().optional(),
  error_message: z.string().optional(),
});

/**
 * Creates a StackExchange API client. It honours `backoff` (no request to the same method
 * until that many seconds have passed), retries `throttle_violation`, 429 and 5xx with a pause,
 * decodes gzip whether or not the response says so, validates every response, and stops with
 * `rate-limited` once the daily quota is spent or a wait would exceed `maxWaitMs`. It never
 * exits the process.
 */
export function createStackExchangeClient(
  options: StackExchangeClientOptions = {},
): StackExchangeClient {
  const parsed = ClientOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new ScraperError(
      'invalid-options',
      `Invalid StackExchange client options: ${z.prettifyError(parsed.error)}`,
    );
  }
  const baseUrl = (options.baseUrl ?? 'https://api.stackexchange.com/2.3').replace(/\/+$/, '');
  const key = envFallback(options.key, 'STACKEXCHANGE_KEY');
  const site = options.site ?? 'stackoverflow';
  const host = siteHost(site);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const pageSize = options.pageSize ?? STACKEXCHANGE_MAX_PAGE_SIZE;
  const maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
  const maxRetries = options.maxRetries ?? 4;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const notBefore = new Map<string, number>();
  let quota: { max: number; remaining: number } | null = null;

  const clean = (text: string) => redact(text, key);

  function tooLong(what: string, waitMs: number): ScraperError {
    const until = new Date(now() + waitMs).toISOString();
    return new ScraperError(
      'rate-limited',
      `${what}: the next request is allowed at ${until}, ${Math.ceil(waitMs / 1000)} s from now, longer than the ${Math.round(maxWaitMs / 1000)} s we may wait (maxWaitMs). ${key === undefined ? 'Set STACKEXCHANGE_KEY to an app key for a larger quota, or try' : 'Try'} again after ${until}.`,
      { isRetryable: true },
    );
  }

  function quotaSpent(): ScraperError {
    const midnight = new Date(now());
    midnight.setUTCHours(24, 0, 0, 0);
    return new ScraperError(
      'rate-limited',
      `The StackExchange API quota for today is used up (${quota?.max ?? 0} requests). It resets at midnight UTC (${midnight.toISOString()}). ${key === undefined ? 'Set STACKEXCHANGE_KEY to an app key for 10,000 requests a day, or try again after the reset.' : 'Try again after the reset.'}`,
      { isRetryable: true },
    );
  }

  async function wait(
    reason: StackExchangeWait['reason'],
    method: string,
    waitMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    options.onWait?.({ reason, method, waitMs });
    await sleep(waitMs, signal);
  }

  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    params: Record<string, string | number | undefined>,
    itemSchema: S,
    signal: AbortSignal | undefined,
  ): Promise<{ items: z.infer<S>[]; hasMore: boolean }> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined) search.set(name, String(value));
    }
    search.set('site', site);
    if (key !== undefined) search.set('key', key);
    const url = `${baseUrl}${path}?${search}`;
    // What errors quote: the path and parameters, never the key.
    const shown = `${path}?${new URLSearchParams([...search].filter(([n]) => n !== 'key'))}`;
    let retries = 0;
    for (;;) {
      throwIfAborted(signal);
      if (quota !== null && quota.remaining <= 0) throw quotaSpent();
      const pause = (notBefore.get(method) ?? 0) - now();
      if (pause > 0) {
        if (pause > maxWaitMs)
          throw tooLong(`The StackExchange API asked us to back off ${method}`, pause);
        await wait('backoff', method, pause, signal);
        continue;
      }

      let response: Response;
      try {
        response = await fetchImpl(url, {
          headers: { accept: 'application/json', 'accept-encoding': 'gzip' },
          signal: anySignal(signal, AbortSignal.timeout(timeoutMs)),
        });
      } catch (error) {
        throwIfAborted(signal);
        if (retries < maxRetries) {
          await wait('retry', method, retryDelayMs(retries), signal);
          retries += 1;
          continue;
        }
        throw new ScraperError(
          'network-error',
          `Could not reach the StackExchange API for ${shown} after ${retries + 1} attempts: ${clean(error instanceof Error ? error.message : String(error))}.`,
          { cause: error, isRetryable: true },
        );
      }

      let text: string;
      try {
        text = decodeBody(new Uint8Array(await response.arrayBuffer()));
      } catch (error) {
        // A cut-off gzip stream or connection: transient, like a network error.
        throwIfAborted(signal);
        if (retries < maxRetries) {
          await wait('retry', method, retryDelayMs(retries), signal);
          retries += 1;
          continue;
        }
        throw new ScraperError(
          'truncated-body',
          `The StackExchange API's answer to ${shown} could not be read (${clean(error instanceof Error ? error.message : String(error))}), ${retries + 1} attempts.`,
          { url: shown, status: response.status, cause: error, isRetryable: true },
        );
      }
      let wrapper: z.infer<typeof WrapperSchema> | undefined;
      try {
        const result = WrapperSchema.safeParse(JSON.parse(text));
        if (result.success) wrapper = result.data;
      } catch {
        // Not JSON (a proxy's error page): judged by the status below.
      }
      if (wrapper?.backoff !== undefined) notBefore.set(method, now() + wrapper.backoff * 1000);
      if (wrapper?.quota_remaining !== undefined) {
        quota = { max: wrapper.quota_max ?? quota?.max ?? 0, remaining: wrapper.quota_remaining };
      }

      const errorId = wrapper?.error_id;
      const retryable =
        errorId === 502 ||
        errorId === 500 ||
        errorId === 503 ||
        (errorId === undefined && (response.status === 429 || response.status >= 500));
      if (retryable) {
        const message = wrapper?.error_message ?? `HTTP ${response.status}`;
        // "too many requests from this IP, more requests available in 82696 seconds"
        const seconds = /available in (\d+) seconds?/i.exec(message)?.[1];
        const retryAfter = Number(response.headers.get('retry-after'));
        const waitMs =
          seconds !== undefined
            ? Number(seconds) * 1000
            : Number.isFinite(retryAfter) && retryAfter > 0
              ? retryAfter * 1000
              : retryDelayMs(retries);
        const what =
          errorId === 502
            ? `The StackExchange API throttled ${shown} (${clean(message)})`
            : `The StackExchange API failed ${shown} (${clean(message)})`;
        if (waitMs > maxWaitMs) throw tooLong(what, waitMs);
        if (retries >= maxRetries) {
          throw new ScraperError(
            errorId === 502 || response.status === 429 ? 'rate-limited' : 'http-error',
            `${what}, still after ${retries} retries; try again later.`,
            { url: shown, status: response.status, body: clean(text), isRetryable: true },
          );
        }
        await wait(errorId === 502 ? 'throttle' : 'retry', method, waitMs, signal);
        retries += 1;
        continue;
      }
      if (errorId !== undefined || !response.ok) {
        throw new ScraperError(
          'http-error',
          `The StackExchange API refused ${shown}: ${wrapper?.error_name ?? `HTTP ${response.status}`}${wrapper?.error_message === undefined ? '' : ` (${clean(wrapper.error_message)})`}.${wrapper?.error_name === 'bad_parameter' ? ' Check the tag and site names.' : ''}`,
          { url: shown, status: response.status, body: clean(text) },
        );
      }
      if (wrapper?.items === undefined) {
        throw new ScraperError(
          'invalid-response',
          `The StackExchange API answered ${shown} without the usual wrapper (items, has_more, quota_remaining).`,
          { url: shown, status: response.status, body: clean(text) },
        );
      }
      const items = z.array(itemSchema).safeParse(wrapper.items);
      if (!items.success) {
        throw new ScraperError(
          'invalid-response',
          `The StackExchange API's items for ${shown} do not have the expected shape: ${z.prettifyError(items.error)}`,
          { url: shown, status: response.status },
        );
      }
      return { items: items.data, hasMore: wrapper.has_more ?? false };
    }
  }

  function owner(apiOwner: z.infer<typeof ApiOwnerSchema>): PostOwner | null {
    if (apiOwner?.display_name === undefined) return null;
    return { displayName: decodeHtmlEntities(apiOwner.display_name), link: apiOwner.link ?? null };
  }

  async function answersFor(
    questionIds: number[],
    signal: AbortSignal | undefined,
  ): Promise<Map<number, StackOverflowAnswer[]>> {
    const byQuestion = new Map<number, StackOverflowAnswer[]>();
    for (let start = 0; start < questionIds.length; start += STACKEXCHANGE_MAX_PAGE_SIZE) {
      const ids = questionIds.slice(start, start + STACKEXCHANGE_MAX_PAGE_SIZE).join(';');
      for (let page = 1; ; page++) {
        const { items, hasMore } = await call(
          'answers',
          `/questions/${ids}/answers`,
          {
            sort: 'votes',
            order: 'desc',
            filter: 'withbody',
            pagesize: STACKEXCHANGE_MAX_PAGE_SIZE,
            page,
          },
          ApiAnswerSchema,
          signal,
        );
        for (const a of items) {
          const list = byQuestion.get(a.question_id) ?? [];
          list.push({
            answerId: a.answer_id,
            body: a.body ?? '',
            score: a.score,
            isAccepted: a.is_accepted,
            owner: owner(a.owner),
            creationDate: new Date(a.creation_date * 1000).toISOString(),
            link: a.link ?? `https://${host}/a/${a.answer_id}`,
            contentLicense: a.content_license ?? null,
          });
          byQuestion.set(a.question_id, list);
        }
        if (!hasMore) break;
      }
    }
    return byQuestion;
  }

  return {
    site,
    quota: () => (quota === null ? null : { ...quota }),

    async *questionsByTag(byTag) {
      const checked = QuestionsByTagOptionsSchema.safeParse(byTag);
      if (!checked.success) {
        throw new ScraperError(
          'invalid-options',
          `Invalid questionsByTag options: ${z.prettifyError(checked.error)}`,
        );
      }
      const { tag, minScore, maxQuestions } = checked.data;
      const signal = anySignal(options.signal, byTag.signal);
      // A fixed page size: changing it between pages would shift the page boundaries.
      const size = Math.min(pageSize, maxQuestions ?? pageSize);
      let yielded = 0;
      for (let page = 1; ; page++) {
        const { items, hasMore } = await call(
          'questions',
          '/questions',
          {
            tagged: tag,
            sort: 'votes',
            order: 'desc',
            // With sort=votes, `min` is the lowest score.
            min: minScore,
            filter: 'withbody',
            pagesize: size,
            page,
          },
          ApiQuestionSchema,
          signal,
        );
        const wanted = items.filter((q) => minScore === undefined || q.score >= minScore);
        const withAnswers = wanted.filter((q) => q.answer_count > 0).map((q) => q.question_id);
        const answers =
          withAnswers.length === 0 ? new Map() : await answersFor(withAnswers, signal);
        for (const q of wanted) {
          yield {
            questionId: q.question_id,
            title: decodeHtmlEntities(q.title),
            body: q.body ?? '',
            tags: q.tags,
            score: q.score,
            link: q.link,
            creationDate: new Date(q.creation_date * 1000).toISOString(),
            owner: owner(q.owner),
            acceptedAnswerId: q.accepted_answer_id ?? null,
            answerCount: q.answer_count,
            viewCount: q.view_count ?? null,
            contentLicense: q.content_license ?? null,
            answers: selectAnswers(answers.get(q.question_id) ?? [], {
              mode: checked.data.answers ?? 'accepted-or-top',
              ...(checked.data.minAnswerScore === undefined
                ? {}
                : { minAnswerScore: checked.data.minAnswerScore }),
            }),
          };
          yielded += 1;
          if (maxQuestions !== undefined && yielded >= maxQuestions) return;
        }
        if (!hasMore) return;
        // Sorted by votes: once a page dips below the minimum, later pages are all below it.
        if (minScore !== undefined && wanted.length < items.length) return;
      }
    },
  };
}

// The real API always gzips, with `Content-Encoding: gzip`, and fetch undoes that; some
// proxies and fetch stand-ins pass the gzip bytes through, so look at the magic number too.
function decodeBody(bytes: Uint8Array): string {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return new TextDecoder().decode(gzipped ? gunzipSync(bytes) : bytes);
}

function retryDelayMs(retry: number): number {
  return 2000 * 2 ** retry;
}
