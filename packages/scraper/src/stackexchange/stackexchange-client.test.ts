import { afterEach, describe, expect, it } from 'vitest';
import { ckadApiData } from '../../test/fixtures/stackexchange/ckad.js';
import { isScraperError, ScraperError } from '../errors.js';
import {
  type StackExchangeStandIn,
  type StackExchangeStandInOptions,
  startStackExchangeStandIn,
} from '../testing/stackexchange-stand-in.js';
import { createStackExchangeClient, type StackExchangeWait } from './stackexchange-client.js';
import type { StackOverflowThread } from './thread.js';

const data = ckadApiData();
const KEY = 'se-key-U4dcA0)qkL((0xEXAMPLE';

function fakeClock(startMs = Date.UTC(2025, 10, 25, 8, 0, 0)) {
  let time = startMs;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      time += ms;
    },
    sleeps,
  };
}

async function collect(
  threads: AsyncGenerator<StackOverflowThread>,
): Promise<StackOverflowThread[]> {
  const out: StackOverflowThread[] = [];
  for await (const thread of threads) out.push(thread);
  return out;
}

let standIn: StackExchangeStandIn | undefined;
async function start(options: Partial<StackExchangeStandInOptions> = {}) {
  standIn = await startStackExchangeStandIn({ ...data, ...options });
  return standIn;
}
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

const byVotes = (tag: string) =>
  data.questions
    .filter((q) => q.tags.includes(tag))
    .sort((a, b) => b.score - a.score || a.question_id - b.question_id);

describe('StackExchange client', () => {
  it('pages through questions by votes and fetches their answers in batches', async () => {
    const server = await start();
    const client = createStackExchangeClient({
      baseUrl: server.baseUrl,
      key: '',
      pageSize: 10,
    });
    const threads = await collect(client.questionsByTag({ tag: 'kubernetes', maxQuestions: 25 }));

    expect(threads.map((t) => t.questionId)).toEqual(
      byVotes('kubernetes')
        .slice(0, 25)
        .map((q) => q.question_id),
    );
    const paths = server.requests.map((r) => new URL(r.url, 'http://x'));
    expect(
      paths.map((u) =>
        u.pathname.replace(/\/questions\/[\d;]+\/answers/, '/questions/{ids}/answers'),
      ),
    ).toEqual([
      '/2.3/questions',
      '/2.3/questions/{ids}/answers',
      '/2.3/questions',
      '/2.3/questions/{ids}/answers',
      '/2.3/questions',
      '/2.3/questions/{ids}/answers',
    ]);
    const first = paths[0] as URL;
    expect(Object.fromEntries(first.searchParams)).toEqual({
      tagged: 'kubernetes',
      sort: 'votes',
      order: 'desc',
      filter: 'withbody',
      pagesize: '10',
      page: '1',
      site: 'stackoverflow',
    });
    expect(paths[4]?.searchParams.get('page')).toBe('3');
    // The ids of one page go in one call, `;`-separated.
    expect(paths[1]?.pathname.split('/')[3]?.split(';')).toHaveLength(10);
    expect(client.quota()).toEqual({ max: 10_000, remaining: 10_000 - 6 });
  });

  it('decodes titles and author names and keeps bodies as HTML', async () => {
    const server = await start();
    const client = createStackExchangeClient({ baseUrl: server.baseUrl, key: '' });
    const threads = await collect(client.questionsByTag({ tag: 'kubernetes' }));
    const quoted = threads.find((t) => t.title.includes("'mynamespace'"));
    expect(quoted?.title).toBe(
      "Create a namespace called 'mynamespace' and a pod with image nginx called nginx on this namespace",
    );
    const names = new Set(
      threads.flatMap((t) => [t.owner?.displayName, ...t.answers.map((a) => a.owner?.displayName)]),
    );
    expect(names.has('José García')).toBe(true);
    expect(names.has("Seán O'Brien")).toBe(true);
    expect(names.has('Priya & Co')).toBe(true);
    expect(quoted?.body).toContain('<p>');
    expect(quoted?.answers[0]?.body).toContain(
      '<pre><code class="language-bash">kubectl create namespace mynamespace',
    );
    expect(quoted?.creationDate).toMatch(/^2020-01-01T00:00:00\.000Z$/);
  });

  it('keeps only questions from minScore up and stops paging below it', async () => {
    const server = await start();
    const client = createStackExchangeClient({ baseUrl: server.baseUrl, key: '', pageSize: 20 });
    const threads = await collect(client.questionsByTag({ tag: 'kubernetes', minScore: 30 }));
    const expected = byVotes('kubernetes').filter((q) => q.score >= 30);
    expect(expected.length).toBeGreaterThan(0);
    expect(threads.map((t) => t.questionId)).toEqual(expected.map((q) => q.question_id));
    expect(threads.every((t) => t.score >= 30)).toBe(true);
    expect(new URL(server.requests[0]?.url ?? '', 'http://x').searchParams.get('min')).toBe('30');
  });

  it('chooses the accepted answer, else the top-scored one, plus answers from minAnswerScore', async () => {
    const server = await start();
    const client = createStackExchangeClient({ baseUrl: server.baseUrl, key: '' });
    const answersOf = (id: number) => data.answers.filter((a) => a.question_id === id);

    const plain = await collect(client.questionsByTag({ tag: 'ckad' }));
    expect(plain).toHaveLength(data.questions.length);
    for (const thread of plain) {
      const all = answersOf(thread.questionId);
      if (all.length === 0) {
        expect(thread.answers).toEqual([]);
        continue;
      }
      expect(thread.answers).toHaveLength(1);
      const accepted = all.find((a) => a.is_accepted);
      const top = [...all].sort((a, b) => b.score - a.score || a.answer_id - b.answer_id)[0];
      expect(thread.answers[0]?.answerId).toBe((accepted ?? top)?.answer_id);
      expect(thread.acceptedAnswerId).toBe(accepted?.answer_id ?? null);
    }
    // At least one thread without an accepted answer whose top answer is not the first one written.
    expect(
      plain.some(
        (t) =>
          t.acceptedAnswerId === null &&
          t.answers[0]?.answerId !== answersOf(t.questionId)[0]?.answer_id,
      ),
    ).toBe(true);

    const generous = await collect(client.questionsByTag({ tag: 'ckad', minAnswerScore: 10 }));
    for (const thread of generous) {
      const [chosen, ...others] = thread.answers;
      if (chosen === undefined) continue;
      expect(others.every((a) => a.score >= 10 && !a.isAccepted)).toBe(true);
      const expectedOthers = answersOf(thread.questionId).filter(
        (a) => a.answer_id !== chosen.answerId && a.score >= 10,
      );
      expect(others.map((a) => a.answerId).sort()).toEqual(
        expectedOthers.map((a) => a.answer_id).sort(),
      );
    }
    expect(generous.some((t) => t.answers.length > 1)).toBe(true);

    const all = await collect(client.questionsByTag({ tag: 'ckad', answers: 'all' }));
    for (const thread of all)
      expect(thread.answers).toHaveLength(answersOf(thread.questionId).length);
  });

  it('honours backoff: no request to the same method before it has passed', async () => {
    const clock = fakeClock();
    const server = await start({ backoffEvery: 2, backoffSeconds: 7, now: clock.now });
    const waits: StackExchangeWait[] = [];
    const client = createStackExchangeClient({
      baseUrl: server.baseUrl,
      key: '',
      pageSize: 20,
      now: clock.now,
      sleep: clock.sleep,
      onWait: (w) => waits.push(w),
    });
    const threads = await collect(client.questionsByTag({ tag: 'kubernetes', maxQuestions: 60 }));
    expect(threads).toHaveLength(60);
    expect(server.backoffViolations()).toBe(0);
    // Responses 2 and 4 (answers of pages 1 and 2) ask for 7 s; nothing else moves the clock.
    expect(clock.sleeps).toEqual([7000, 7000]);
    expect(waits).toEqual([
      { reason: 'backoff', method: 'answers', waitMs: 7000 },
      { reason: 'backoff', method: 'answers', waitMs: 7000 },
    ]);
  });

  it('stops with a clear message when the daily quota is spent', async () => {
    const clock = fakeClock(Date.UTC(2025, 10, 25, 17, 30));
    const server = await start({ quota: 3 });
    const client = createStackExchangeClient({
      baseUrl: server.baseUrl,
      key: '',
      pageSize: 10,
      now: clock.now,
      sleep: clock.sleep,
    });
    const seen: StackOverflowThread[] = [];
    const error = await (async () => {
      for await (const thread of client.questionsByTag({ tag: 'kubernetes' })) seen.push(thread);
    })().catch((e) => e);
    expect(isScraperError(error, 'rate-limited')).toBe(true);
    const message = (error as ScraperError).message;
    expect(message).toContain('quota for today is used up (3 requests)');
    expect(message).toContain('2025-11-26T00:00:00.000Z');
    expect(message).toContain('STACKEXCHANGE_KEY');
    // Page 1 (2 requests) came through; page 2's questions spent the last request.
    expect(seen).toHaveLength(10);
    expect(server.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries a throttle_violation after the seconds the API names', async () => {
    const clock = fakeClock();
    const server = await start({ throttleOnce: true });
    const waits: StackExchangeWait[] = [];
    const client = createStackExchangeClient({
      baseUrl: server.baseUrl,
      key: '',
      now: clock.now,
      sleep: clock.sleep,
      onWait: (w) => waits.push(w),
    });
    const threads = await collect(client.questionsByTag({ tag: 'helm' }));
    expect(threads.length).toBe(data.questions.filter((q) => q.tags.includes('helm')).length);
    expect(clock.sleeps).toEqual([4000]);
    expect(waits[0]?.reason).toBe('throttle');
  });

  it('gives up with rate-limited when a throttle lasts longer than maxWaitMs', async () => {
    const clock = fakeClock();
    const server = await start({ quota: 0 });
    const client = createStackExchangeClient({
      baseUrl: server.baseUrl,
      key: KEY,
      now: clock.now,
      sleep: clock.sleep,
      maxWaitMs: 60_000,
    });
    const error = await collect(client.questionsByTag({ tag: 'kubernetes' })).catch((e) => e);
    expect(isScraperError(error, 'rate-limited')).toBe(true);
    expect((error as Error).message).toContain('61234 s from now');
    expect((error as Error).message).not.toContain(KEY);
    expect(clock.sleeps).toEqual([]);
  });

  it.each([429, 503] as const)('retries HTTP %i after retry-after', async (status) => {
    const clock = fakeClock();
    const server = await start({ failOnce: status });
    const client = createStackExchangeClient({
      baseUrl: server.baseUrl,
      key: '',
      now: clock.now,
      sleep: clock.sleep,
    });
    const threads = await collect(client.questionsByTag({ tag: 'helm' }));
    expect(threads.length).toBeGreaterThan(0);
    expect(clock.sleeps).toEqual([3000]);
  });

  it.each(['gzip', 'gzip-without-header', 'identity'] as const)(
    'reads %s responses',
    async (encoding) => {
      const server = await start({ encoding });
      const client = createStackExchangeClient({ baseUrl: server.baseUrl, key: '' });
      const threads = await collect(client.questionsByTag({ tag: 'helm' }));
      expect(threads.map((t) => t.questionId)).toEqual(byVotes('helm').map((q) => q.question_id));
    },
  );

  it('sends the key as a parameter, reads STACKEXCHANGE_KEY, and never prints it', async () => {
    const server = await start({ site: 'serverfault' });
    const previous = process.env.STACKEXCHANGE_KEY;
    process.env.STACKEXCHANGE_KEY = KEY;
    try {
      const client = createStackExchangeClient({ baseUrl: server.baseUrl });
      const error = await collect(client.questionsByTag({ tag: 'helm' })).catch((e) => e);
      expect(new URL(server.requests[0]?.url ?? '', 'http://x').searchParams.get('key')).toBe(KEY);
      expect(isScraperError(error, 'http-error')).toBe(true);
      expect((error as ScraperError).message).toContain('bad_parameter');
      expect((error as ScraperError).message).toContain('No site found for name `stackoverflow`');
      expect(JSON.stringify({ ...error, message: (error as Error).message })).not.toContain(KEY);
    } finally {
      if (previous === undefined) delete process.env.STACKEXCHANGE_KEY;
      else process.env.STACKEXCHANGE_KEY = previous;
    }
  });

  it('rejects bad options', async () => {
    expect(() => createStackExchangeClient({ pageSize: 500 })).toThrow(/pageSize/);
    const client = createStackExchangeClient({ baseUrl: 'http://127.0.0.1:9' });
    await expect(collect(client.questionsByTag({ tag: '' }))).rejects.toThrow(ScraperError);
  });
});
