import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ckadApiData, ckadPostsXml } from '../../test/fixtures/stackexchange/ckad.js';
import { isScraperError } from '../errors.js';
import { parseTags, readPostsXml } from './posts-xml.js';
import type { StackOverflowThread } from './thread.js';

const data = ckadApiData();
let dir: string;
let anglePath: string;
let pipePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'posts-xml-'));
  anglePath = join(dir, 'Posts-angle.xml');
  pipePath = join(dir, 'Posts-pipe.xml');
  await writeFile(anglePath, ckadPostsXml(data, 'angle'));
  await writeFile(pipePath, ckadPostsXml(data, 'pipe'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(
  threads: AsyncGenerator<StackOverflowThread>,
): Promise<StackOverflowThread[]> {
  const out: StackOverflowThread[] = [];
  for await (const thread of threads) out.push(thread);
  return out;
}

/** The file's bytes in small chunks, counting how many the reader has pulled. */
function chunked(text: string, size: number) {
  const bytes = new TextEncoder().encode(text);
  const state = { pulled: 0, total: Math.ceil(bytes.length / size) };
  const iterable = {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < bytes.length; i += size) {
        state.pulled += 1;
        yield bytes.subarray(i, i + size);
      }
    },
  };
  return { iterable, state };
}

describe('readPostsXml', () => {
  it('keeps questions with a wanted tag and attaches answers that come long after them', async () => {
    const threads = await collect(readPostsXml({ input: anglePath, tags: ['Kubernetes'] }));
    const expected = data.questions.filter((q) => q.tags.includes('kubernetes'));
    expect(threads.map((t) => t.questionId).sort()).toEqual(
      expected.map((q) => q.question_id).sort(),
    );

    const first = threads.find((t) => t.questionId === expected[0]?.question_id);
    const apiQuestion = expected[0];
    expect(first).toMatchObject({
      title:
        "Create a namespace called 'mynamespace' and a pod with image nginx called nginx on this namespace",
      tags: apiQuestion?.tags,
      score: apiQuestion?.score,
      link: `https://stackoverflow.com/q/${apiQuestion?.question_id}`,
      creationDate: '2020-01-01T00:00:00.000Z',
      owner: {
        displayName: `user${apiQuestion?.owner?.user_id}`,
        link: `https://stackoverflow.com/users/${apiQuestion?.owner?.user_id}`,
      },
      contentLicense: 'CC BY-SA 3.0',
      answerCount: apiQuestion?.answer_count,
    });
    expect(first?.body).toBe(apiQuestion?.body);

    for (const thread of threads) {
      const all = data.answers.filter((a) => a.question_id === thread.questionId);
      if (all.length === 0) {
        expect(thread.answers).toEqual([]);
        continue;
      }
      const accepted = all.find((a) => a.is_accepted);
      const top = [...all].sort((a, b) => b.score - a.score || a.answer_id - b.answer_id)[0];
      expect(thread.answers.map((a) => a.answerId)).toEqual([(accepted ?? top)?.answer_id]);
      expect(thread.answers[0]?.isAccepted).toBe(accepted !== undefined);
      expect(thread.answers[0]?.body).toBe((accepted ?? top)?.body);
      expect(thread.answers[0]?.link).toBe(
        `https://stackoverflow.com/a/${(accepted ?? top)?.answer_id}`,
      );
    }
  });

  it('reads |a|b| tags the same as <a><b> tags', async () => {
    const angle = await collect(
      readPostsXml({ input: anglePath, tags: ['helm', 'podman'], answers: 'all' }),
    );
    const pipe = await collect(
      readPostsXml({ input: pipePath, tags: ['helm', 'podman'], answers: 'all' }),
    );
    expect(pipe).toEqual(angle);
    const wanted = data.questions.filter(
      (q) => q.tags.includes('helm') || q.tags.includes('podman'),
    );
    expect(pipe.map((t) => t.questionId).sort()).toEqual(wanted.map((q) => q.question_id).sort());
    expect(pipe.find((t) => t.tags.includes('podman'))?.tags).toEqual([
      'podman',
      'containers',
      'ckad',
    ]);
    expect(parseTags('<kubernetes><kubectl>')).toEqual(['kubernetes', 'kubectl']);
    expect(parseTags('|kubernetes|kubectl|')).toEqual(['kubernetes', 'kubectl']);
    expect(parseTags('')).toEqual([]);
  });

  it('streams: yields a thread as soon as its last answer is read, across chunk boundaries', async () => {
    const xml = ckadPostsXml(data, 'pipe').replace(
      'OwnerUserId="1801003"',
      'OwnerDisplayName="Seán Ó Briain"',
    );
    const { iterable, state } = chunked(xml, 997);
    const pulledAtYield: number[] = [];
    const threads: StackOverflowThread[] = [];
    for await (const thread of readPostsXml({
      input: iterable,
      tags: ['kubernetes'],
      answers: 'all',
    })) {
      pulledAtYield.push(state.pulled);
      threads.push(thread);
    }
    expect(threads.length).toBe(data.questions.filter((q) => q.tags.includes('kubernetes')).length);
    // The first thread came out while most of the file was still unread.
    expect(pulledAtYield[0]).toBeLessThan(state.total * 0.75);
    expect(
      threads.some((t) =>
        [t.owner, ...t.answers.map((a) => a.owner)].some((o) => o?.displayName === 'Seán Ó Briain'),
      ),
    ).toBe(true);
  });

  it('filters by score and skips unrelated posts', async () => {
    const threads = await collect(readPostsXml({ input: anglePath, minScore: 30 }));
    const expected = data.questions.filter((q) => q.score >= 30).map((q) => q.question_id);
    // The Rust question (score 99) has no CKAD tag but passes without a tag filter.
    expect(threads.map((t) => t.questionId).sort()).toEqual([...expected, 69_999_999].sort());
    const rust = threads.find((t) => t.questionId === 69_999_999);
    expect(rust?.answers.map((a) => a.body)).toEqual(['<p>Use a reference.</p>']);
  });

  it('reports malformed and truncated XML as invalid-record', async () => {
    const broken =
      '<?xml version="1.0"?>\n<posts>\n  <row Id="1" PostTypeId="1" Score="1" Tags="|a|" AnswerCount="0" Title="t" Body="&lt;p&gt;x" </posts>';
    const error = await collect(readPostsXml({ input: chunked(broken, 50).iterable })).catch(
      (e) => e,
    );
    expect(isScraperError(error, 'invalid-record')).toBe(true);

    const full = ckadPostsXml(data, 'angle');
    const truncated = full.slice(0, Math.floor(full.length / 2));
    const error2 = await collect(
      readPostsXml({ input: chunked(truncated, 4096).iterable, tags: ['zzz'] }),
    ).catch((e) => e);
    expect(isScraperError(error2, 'invalid-record')).toBe(true);
    expect((error2 as Error).message).toMatch(/truncated|well-formed/);
  });

  it('reports a missing file as io-error', async () => {
    const error = await collect(readPostsXml({ input: join(dir, 'nope.xml') })).catch((e) => e);
    expect(isScraperError(error, 'io-error')).toBe(true);
  });
});
