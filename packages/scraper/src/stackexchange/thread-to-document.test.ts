import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ckadApiData } from '../../test/fixtures/stackexchange/ckad.js';
import { DocumentSchema } from '../document.js';
import { isScraperError } from '../errors.js';
import type { ExtractFn } from '../github/extract-fn.js';
import {
  type StackExchangeStandIn,
  startStackExchangeStandIn,
} from '../testing/stackexchange-stand-in.js';
import { createStackExchangeClient } from './stackexchange-client.js';
import type { StackOverflowThread } from './thread.js';
import { threadToDocument } from './thread-to-document.js';

/** For this file's own logic only: tags dropped, `<pre>` kept as a fence, links collected. */
const fakeExtract: ExtractFn = async ({ body }) => {
  const html = new TextDecoder().decode(body);
  const markdown = html
    .replace(
      /<pre><code[^>]*>([\s\S]*?)<\/code><\/pre>/g,
      (_, code: string) => `\n\`\`\`\n${code.trim()}\n\`\`\`\n`,
    )
    .replace(/<[^>]+>/g, '')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
  const links = [...html.matchAll(/href="(https?:[^"]+)"/g)].map((m) => m[1] as string);
  return { title: '', markdown, language: null, links, metadata: {}, warnings: [] };
};

const data = ckadApiData();
let standIn: StackExchangeStandIn;
let threads: StackOverflowThread[];

beforeAll(async () => {
  standIn = await startStackExchangeStandIn(data);
  const client = createStackExchangeClient({ baseUrl: standIn.baseUrl, key: '' });
  threads = [];
  for await (const thread of client.questionsByTag({ tag: 'ckad', answers: 'all' }))
    threads.push(thread);
});
afterAll(async () => {
  await standIn.close();
});

describe('threadToDocument', () => {
  it('writes title, question and scored answer sections, with attribution and licence', async () => {
    const thread = threads.find((t) => t.acceptedAnswerId !== null && t.answers.length > 1);
    if (thread === undefined) throw new Error('fixture has no accepted thread with alternatives');
    const document = await threadToDocument(thread, {
      project: 'Kubernetes',
      extract: fakeExtract,
      now: () => Date.UTC(2025, 10, 25, 12),
    });
    expect(DocumentSchema.parse(document)).toEqual(document);

    const [accepted, ...others] = thread.answers;
    let fenced = false;
    const headings = document.markdown.split('\n').filter((line) => {
      if (line.startsWith('```')) fenced = !fenced;
      return !fenced && /^#{1,2} /.test(line);
    });
    expect(headings).toEqual([
      `# ${thread.title}`,
      `## Accepted answer (score ${accepted?.score})`,
      ...others.map((a) => `## Answer (score ${a.score})`),
    ]);
    expect(document.markdown).toContain('```\nkubectl');
    expect(document).toMatchObject({
      url: thread.link,
      canonicalUrl: `https://stackoverflow.com/questions/${thread.questionId}`,
      project: 'Kubernetes',
      sourceType: 'stackoverflow',
      title: thread.title,
      contentType: 'text/html',
      language: 'en',
      licence: thread.contentLicense === 'CC BY-SA 3.0' ? 'CC-BY-SA-3.0' : 'CC-BY-SA-4.0',
      fetchedAt: '2025-11-25T12:00:00.000Z',
      httpStatus: 200,
      etag: null,
      metadata: {
        site: 'stackoverflow.com',
        questionId: thread.questionId,
        tags: thread.tags,
        score: thread.score,
        answerCount: thread.answerCount,
        acceptedAnswerId: thread.acceptedAnswerId,
      },
    });
    const attribution = document.attribution ?? '';
    expect(attribution).toContain(
      `Question "${thread.title}" by ${thread.owner?.displayName} (${thread.owner?.link})`,
    );
    for (const answer of thread.answers) {
      expect(attribution).toContain(`${answer.owner?.displayName} (${answer.owner?.link})`);
    }
    expect(attribution).toContain(`Stack Overflow, ${thread.link}`);
    expect(attribution).toMatch(/licensed under CC BY-SA [34]\.0$/);
    expect(document.bytes).toBeGreaterThan(thread.body.length);
  });

  it('names the licence a thread states and the languages of localised sites', async () => {
    const base = threads[0] as StackOverflowThread;
    const old = await threadToDocument(
      {
        ...base,
        contentLicense: 'CC BY-SA 2.5',
        link: `https://es.stackoverflow.com/questions/${base.questionId}/x`,
      },
      { project: null, extract: fakeExtract },
    );
    expect(old.licence).toBe('CC-BY-SA-2.5');
    expect(old.language).toBe('es');
    expect(old.canonicalUrl).toBe(`https://es.stackoverflow.com/questions/${base.questionId}`);
  });

  it('turns an extractor failure into extract-failed', async () => {
    const error = await threadToDocument(threads[0] as StackOverflowThread, {
      project: null,
      extract: async () => {
        throw new Error('parser exploded');
      },
    }).catch((e) => e);
    expect(isScraperError(error, 'extract-failed')).toBe(true);
    expect((error as Error).message).toContain('parser exploded');
  });

  it('builds documents with the package extractor', async () => {
    const thread = threads.find((t) => t.title.includes("'mynamespace'")) as StackOverflowThread;
    const document = await threadToDocument(thread, { project: 'Kubernetes' });
    expect(DocumentSchema.parse(document)).toEqual(document);
    expect(document.markdown.startsWith(`# ${thread.title}\n\n`)).toBe(true);
    expect(document.markdown).toMatch(
      /```bash\nkubectl create namespace mynamespace\nkubectl run nginx --image=nginx --restart=Never -n mynamespace\n```/,
    );
    expect(document.markdown).not.toContain('<p>');
    expect(document.markdown).not.toContain('&amp;');
  });
});
