import { DocumentSchema, documentId, type ScrapedDocument } from '../document.js';
import { ScraperError } from '../errors.js';
import { type ExtractFn, loadDefaultExtract } from '../github/extract-fn.js';
import {
  type PostOwner,
  type StackOverflowThread,
  siteHost,
  spdxFromContentLicense,
} from './thread.js';

/** Options of {@link threadToDocument}. */
export interface ThreadToDocumentOptions {
  /** Landscape item name, or `null`. */
  project: string | null;
  /** API site name, used when the thread's link does not say. @default 'stackoverflow' */
  site?: string;
  /** Turns HTML into markdown. @default `extractContent` of this package */
  extract?: ExtractFn;
  /** Clock for `fetchedAt`. @default Date.now */
  now?: () => number;
}

/**
 * Turns a question and its chosen answers into one document: `# Title`, the question as
 * markdown, then a `## Accepted answer (score N)` or `## Answer (score N)` section per answer.
 * The licence is the question's CC BY-SA version (`CC-BY-SA-4.0` when not stated), and the
 * attribution names every author with their profile link and links the question, as
 * StackExchange's attribution rules ask.
 */
export async function threadToDocument(
  thread: StackOverflowThread,
  options: ThreadToDocumentOptions,
): Promise<ScrapedDocument> {
  const extract = options.extract ?? (await loadDefaultExtract());
  const now = options.now ?? Date.now;
  const host = hostOf(thread.link) ?? siteHost(options.site ?? 'stackoverflow');
  const canonicalUrl = `https://${host}/questions/${thread.questionId}`;

  const links: string[] = [];
  const toMarkdown = async (html: string, url: string) => {
    try {
      const extracted = await extract({
        body: new TextEncoder().encode(`<!DOCTYPE html><html><body>${html}</body></html>`),
        contentType: 'text/html',
        url,
      });
      links.push(...extracted.links);
      return extracted.markdown.trim();
    } catch (error) {
      throw new ScraperError(
        'extract-failed',
        `Could not turn the HTML of ${url} into markdown: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, url },
      );
    }
  };

  const sections = [`# ${thread.title}`];
  const question = await toMarkdown(thread.body, thread.link);
  if (question !== '') sections.push(question);
  for (const answer of thread.answers) {
    const heading = `## ${answer.isAccepted ? 'Accepted answer' : 'Answer'} (score ${answer.score})`;
    const body = await toMarkdown(answer.body, answer.link);
    sections.push(body === '' ? heading : `${heading}\n\n${body}`);
  }
  const markdown = `${sections.join('\n\n')}\n`;
  const encoder = new TextEncoder();
  const bytes =
    encoder.encode(thread.title).byteLength +
    encoder.encode(thread.body).byteLength +
    thread.answers.reduce((sum, a) => sum + encoder.encode(a.body).byteLength, 0);

  const candidate: ScrapedDocument = {
    id: documentId(markdown),
    url: thread.link,
    canonicalUrl,
    project: options.project,
    sourceType: 'stackoverflow',
    title: thread.title,
    markdown,
    contentType: 'text/html',
    language: languageOf(host),
    licence: spdxFromContentLicense(thread.contentLicense) ?? 'CC-BY-SA-4.0',
    attribution: attribution(thread, host),
    fetchedAt: new Date(now()).toISOString(),
    etag: null,
    lastModified: null,
    httpStatus: 200,
    bytes,
    links: [...new Set(links)],
    metadata: {
      site: host,
      questionId: thread.questionId,
      tags: thread.tags,
      score: thread.score,
      answerCount: thread.answerCount,
      acceptedAnswerId: thread.acceptedAnswerId,
      viewCount: thread.viewCount,
      creationDate: thread.creationDate,
      author: thread.owner?.displayName ?? null,
      answers: thread.answers.map((a) => ({
        answerId: a.answerId,
        score: a.score,
        isAccepted: a.isAccepted,
        author: a.owner?.displayName ?? null,
        link: a.link,
        contentLicense: a.contentLicense,
      })),
      contentLicense: thread.contentLicense,
    },
  };
  const parsed = DocumentSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new ScraperError(
      'invalid-record',
      `The document built from question ${thread.questionId} (${thread.link}) does not match DocumentSchema: ${parsed.error.message}`,
      { url: thread.link },
    );
  }
  return parsed.data;
}

function attribution(thread: StackOverflowThread, host: string): string {
  const person = (owner: PostOwner | null) =>
    owner === null
      ? 'an anonymous user'
      : owner.link === null
        ? owner.displayName
        : `${owner.displayName} (${owner.link})`;
  const answerAuthors = [...new Set(thread.answers.map((a) => person(a.owner)))];
  const licence = thread.contentLicense ?? 'CC BY-SA 4.0';
  const site = host === 'stackoverflow.com' ? 'Stack Overflow' : host;
  return [
    `Question "${thread.title}" by ${person(thread.owner)}`,
    answerAuthors.length === 0 ? null : `answers by ${answerAuthors.join(', ')}`,
    `${site}, ${thread.link}`,
    `licensed under ${licence}`,
  ]
    .filter((part) => part !== null)
    .join('; ');
}

function hostOf(link: string): string | null {
  try {
    return new URL(link).host;
  } catch {
    return null;
  }
}

// es.stackoverflow.com, ru.stackoverflow.com, pt.stackoverflow.com, ja.stackoverflow.com.
function languageOf(host: string): string {
  return /^(es|ru|pt|ja)\.stackoverflow\.com$/.exec(host)?.[1] ?? 'en';
}
