import { CorpusError } from '../errors.js';
import { readMarkdown } from './markdown-view.js';
import {
  type QualityOptions,
  QualityOptionsSchema,
  type ResolvedQualityOptions,
} from './quality-options.js';
import { WordNgrams } from './word-ngrams.js';

/** The stable names of the quality filters, as they appear in results and reports. */
export const QUALITY_FILTERS = Object.freeze([
  'min-words',
  'symbol-word-ratio',
  'bullet-lines',
  'ellipsis-lines',
  'duplicate-lines',
  'duplicate-line-chars',
  'duplicate-paragraphs',
  'duplicate-paragraph-chars',
  'top-2gram',
  'top-3gram',
  'top-4gram',
  'duplicate-5gram',
  'duplicate-6gram',
  'duplicate-7gram',
  'duplicate-8gram',
  'duplicate-9gram',
  'duplicate-10gram',
  'mean-word-length',
  'boilerplate',
  'lorem-ipsum',
  'stop-words',
] as const);

/** The name of one quality filter. */
export type QualityFilterName = (typeof QUALITY_FILTERS)[number];

/** One filter a document failed: what was measured and the threshold it crossed. */
export interface QualityFailure {
  filter: QualityFilterName;
  value: number;
  threshold: number;
}

/** The verdict on one document. `failed` lists every filter it failed, in filter order. */
export interface QualityResult {
  keep: boolean;
  failed: QualityFailure[];
}

const resolvedCache = new WeakMap<object, ResolvedQualityOptions>();
let defaults: ResolvedQualityOptions | undefined;

/**
 * Resolves and validates quality options once; {@link checkQuality} calls it for you and caches
 * the result per options object, so passing the same object for every document costs nothing.
 * @throws {CorpusError} `invalid-options` when a threshold is out of range or a name is unknown.
 */
export function resolveQualityOptions(options?: QualityOptions): ResolvedQualityOptions {
  if (options === undefined) {
    defaults ??= QualityOptionsSchema.parse({});
    return defaults;
  }
  const cached = resolvedCache.get(options);
  if (cached !== undefined) return cached;
  const parsed = QualityOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new CorpusError(
      'invalid-options',
      `Quality options are invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}. Fix them or leave them out for the defaults.`,
      { cause: parsed.error },
    );
  }
  const unknown = parsed.data.disable.filter(
    (name) => !(QUALITY_FILTERS as readonly string[]).includes(name),
  );
  if (unknown.length > 0) {
    throw new CorpusError(
      'invalid-options',
      `Quality options disable unknown filters ${unknown.join(', ')}; known filters are ${QUALITY_FILTERS.join(', ')}.`,
    );
  }
  resolvedCache.set(options, parsed.data);
  return parsed.data;
}

/**
 * Judges one document (markdown) with Gopher/C4-style heuristics adapted to technical
 * documentation: prose rules are measured on the prose outside fenced code, and a page is never
 * dropped for being mostly code. Every filter is evaluated, so `failed` tells all the reasons.
 *
 * @example
 * const { keep, failed } = checkQuality(doc.markdown);
 * if (!keep) console.log(failed.map((f) => f.filter));
 */
export function checkQuality(text: string, options?: QualityOptions): QualityResult {
  const o = resolveQualityOptions(options);
  const disabled = o.disable.length === 0 ? undefined : new Set(o.disable);
  const failed: QualityFailure[] = [];
  const check = (filter: QualityFilterName, value: number, threshold: number, bad: boolean) => {
    if (bad && disabled?.has(filter) !== true) failed.push({ filter, value, threshold });
  };
  const on = (filter: QualityFilterName) => disabled?.has(filter) !== true;

  const view = readMarkdown(text, o.minRepeatWords);
  const proseWords = view.words.length;
  const totalWords = proseWords + view.codeWords;
  check('min-words', totalWords, o.minWords, totalWords < o.minWords);

  if (proseWords >= o.minProseWords) {
    const symbolRatio = (view.hashes + view.ellipses) / proseWords;
    check(
      'symbol-word-ratio',
      symbolRatio,
      o.maxSymbolWordRatio,
      symbolRatio > o.maxSymbolWordRatio,
    );

    const lineCount = Math.max(view.lines.length, 1);
    const bulletFraction = view.bulletLines / lineCount;
    check(
      'bullet-lines',
      bulletFraction,
      o.maxBulletLineFraction,
      bulletFraction > o.maxBulletLineFraction,
    );
    const ellipsisFraction = view.ellipsisLines / lineCount;
    check(
      'ellipsis-lines',
      ellipsisFraction,
      o.maxEllipsisLineFraction,
      ellipsisFraction > o.maxEllipsisLineFraction,
    );

    const lines = duplicates(view.repeatableLines);
    check(
      'duplicate-lines',
      lines.fraction,
      o.maxDuplicateLineFraction,
      lines.fraction > o.maxDuplicateLineFraction,
    );
    check(
      'duplicate-line-chars',
      lines.charFraction,
      o.maxDuplicateLineCharFraction,
      lines.charFraction > o.maxDuplicateLineCharFraction,
    );
    const paragraphs = duplicates(view.paragraphs);
    check(
      'duplicate-paragraphs',
      paragraphs.fraction,
      o.maxDuplicateParagraphFraction,
      paragraphs.fraction > o.maxDuplicateParagraphFraction,
    );
    check(
      'duplicate-paragraph-chars',
      paragraphs.charFraction,
      o.maxDuplicateParagraphCharFraction,
      paragraphs.charFraction > o.maxDuplicateParagraphCharFraction,
    );

    if (view.runningWords.length >= o.minNgramWords) {
      const running = new WordNgrams(view.runningWords.map((word) => trimWord(word).toLowerCase()));
      for (const n of [2, 3, 4] as const) {
        const filter = `top-${n}gram` as const;
        if (!on(filter)) continue;
        const value = running.topNgramCharFraction(n);
        const threshold = o.maxTopNgramCharFraction[n];
        check(filter, value, threshold, value > threshold);
      }
      for (const n of [5, 6, 7, 8, 9, 10] as const) {
        const filter = `duplicate-${n}gram` as const;
        if (!on(filter)) continue;
        const value = running.duplicateNgramCharFraction(n);
        const threshold = o.maxDuplicateNgramCharFraction[n];
        check(filter, value, threshold, value > threshold);
      }
    }

    let wordChars = 0;
    for (const word of view.words) wordChars += trimWord(word).length;
    const meanLength = wordChars / proseWords;
    if (meanLength < o.minMeanWordLength) {
      check('mean-word-length', meanLength, o.minMeanWordLength, true);
    } else if (meanLength > o.maxMeanWordLength) {
      check('mean-word-length', meanLength, o.maxMeanWordLength, true);
    }

    if (on('boilerplate') || on('lorem-ipsum')) {
      // Look for each phrase in the whole prose first: nearly every page has none, and only the
      // phrases that are there are looked for line by line.
      const prose = view.lines.join('\n').toLowerCase();
      const present = o.boilerplatePhrases.filter((phrase) => prose.includes(phrase));
      let boilerplateLines = 0;
      if (present.length > 0) {
        for (const line of view.lines) {
          const lower = line.toLowerCase();
          if (present.some((phrase) => lower.includes(phrase))) boilerplateLines += 1;
        }
      }
      let lorem = 0;
      for (
        let at = prose.indexOf('lorem ipsum');
        at !== -1;
        at = prose.indexOf('lorem ipsum', at + 1)
      ) {
        lorem += 1;
      }
      const boilerplate = boilerplateLines / lineCount;
      check(
        'boilerplate',
        boilerplate,
        o.maxBoilerplateLineFraction,
        boilerplate > o.maxBoilerplateLineFraction,
      );
      check('lorem-ipsum', lorem, o.maxLoremIpsum, lorem > o.maxLoremIpsum);
    }

    if (on('stop-words') && o.minStopWords > 0) {
      const stop = new Set(o.stopWords);
      let count = 0;
      for (const word of view.words) {
        if (stop.has(trimWord(word).toLowerCase())) count += 1;
        if (count >= o.minStopWords) break;
      }
      check('stop-words', count, o.minStopWords, count < o.minStopWords);
    }
  }

  return { keep: failed.length === 0, failed };
}

/** Fraction of items that repeat an earlier item, by count and by characters. */
function duplicates(items: readonly string[]): { fraction: number; charFraction: number } {
  if (items.length === 0) return { fraction: 0, charFraction: 0 };
  const seen = new Set<string>();
  let duplicateCount = 0;
  let duplicateChars = 0;
  let chars = 0;
  for (const item of items) {
    chars += item.length;
    if (seen.has(item)) {
      duplicateCount += 1;
      duplicateChars += item.length;
    } else {
      seen.add(item);
    }
  }
  return { fraction: duplicateCount / items.length, charFraction: duplicateChars / chars };
}

const EDGE_PUNCTUATION = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** A word without its leading and trailing punctuation ("(etcd)," → "etcd"). */
function trimWord(word: string): string {
  // Most words start and end with an ASCII letter or digit: skip the Unicode regex for them.
  if (
    isAsciiAlphanumeric(word.charCodeAt(0)) &&
    isAsciiAlphanumeric(word.charCodeAt(word.length - 1))
  ) {
    return word;
  }
  return word.replace(EDGE_PUNCTUATION, '');
}
