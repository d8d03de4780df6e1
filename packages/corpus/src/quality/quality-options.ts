import { z } from 'zod';

/**
 * Phrases that mark a page as a web-site shell rather than documentation: error pages, cookie
 * walls, "enable JavaScript" placeholders, redirect stubs. Matched case-insensitively on the
 * prose, line by line.
 */
export const DEFAULT_BOILERPLATE_PHRASES: readonly string[] = Object.freeze([
  'javascript is disabled',
  'enable javascript',
  'javascript must be enabled',
  'javascript is required',
  'requires javascript',
  'your browser does not support',
  'enable cookies',
  'cookies are disabled',
  'we use cookies',
  'this site uses cookies',
  'this website uses cookies',
  'use of cookies',
  'accept all cookies',
  'accept cookies',
  'cookie policy',
  'cookie settings',
  'manage cookies',
  'page not found',
  '404 not found',
  'error 404',
  'the page you are looking for',
  'the page you requested',
  'this page has moved',
  'this page has been moved',
  'page has been removed',
  'this content has moved',
  'you are being redirected',
  'access denied',
  'please verify you are a human',
  'checking your browser',
  'all rights reserved',
  'terms of use',
  'privacy policy',
  'sign in to continue',
  'log in to continue',
  'subscribe to our newsletter',
]);

/** The English stop words of Gopher's check: a real English text uses several of them. */
export const DEFAULT_STOP_WORDS: readonly string[] = Object.freeze([
  'the',
  'be',
  'to',
  'of',
  'and',
  'that',
  'have',
  'with',
]);

const fraction = z.number().min(0).max(1);

/**
 * Thresholds of the quality filters. Every rule measured on prose ignores fenced code; only
 * `minWords` counts code too. A filter is switched off by naming it in `disable`.
 */
export const QualityOptionsSchema = z
  .object({
    /**
     * `min-words`: fewest words (prose + code tokens) a page may have. Gopher uses 50 for web
     * pages; a short docs page ("Writing to etcd", about 40 words) is still good data.
     * @default 25
     */
    minWords: z.number().int().nonnegative().default(25),
    /**
     * Prose words below which the prose rules (all but `min-words`) are not applied: a page that
     * is a heading and a code block is judged by its size alone, never dropped for being code.
     * @default 20
     */
    minProseWords: z.number().int().nonnegative().default(20),
    /**
     * Running prose words (outside tables) below which the n-gram rules (`top-*gram`,
     * `duplicate-*gram`) are not applied: in a short page the title phrase said twice already
     * covers a fifth of the text, which says nothing about spam.
     * @default 100
     */
    minNgramWords: z.number().int().nonnegative().default(100),
    /**
     * `symbol-word-ratio`: most `#` characters plus ellipses per prose word (Gopher: 0.1). Heading
     * markers and URL fragments are not counted.
     * @default 0.1
     */
    maxSymbolWordRatio: z.number().nonnegative().default(0.1),
    /**
     * `bullet-lines`: largest fraction of prose lines (tables aside) that may start with a list
     * bullet. Gopher uses 0.9; docs catalogues run higher (Prometheus' exporter list is 92% list
     * items), navigation-only pages are all bullets.
     * @default 0.95
     */
    maxBulletLineFraction: fraction.default(0.95),
    /**
     * `ellipsis-lines`: largest fraction of prose lines that may end with `...` or `…`
     * (Gopher: 0.3). Catches truncated teaser lists.
     * @default 0.3
     */
    maxEllipsisLineFraction: fraction.default(0.3),
    /**
     * Words a line or paragraph needs before the repetition rules count it: labels such as
     * "Example", "Output:" or a "show" toggle repeat by design in docs and Q&A pages.
     * @default 3
     */
    minRepeatWords: z.number().int().nonnegative().default(3),
    /**
     * `duplicate-lines`: largest fraction of prose lines (tables aside) that repeat an earlier line
     * (Gopher: 0.3).
     * @default 0.3
     */
    maxDuplicateLineFraction: fraction.default(0.3),
    /**
     * `duplicate-line-chars`: largest fraction of prose characters in repeated lines (Gopher: 0.2).
     * @default 0.2
     */
    maxDuplicateLineCharFraction: fraction.default(0.2),
    /**
     * `duplicate-paragraphs`: largest fraction of prose paragraphs that repeat an earlier one
     * (Gopher: 0.3).
     * @default 0.3
     */
    maxDuplicateParagraphFraction: fraction.default(0.3),
    /**
     * `duplicate-paragraph-chars`: largest fraction of prose characters in repeated paragraphs
     * (Gopher: 0.2).
     * @default 0.2
     */
    maxDuplicateParagraphCharFraction: fraction.default(0.2),
    /**
     * `top-2gram`, `top-3gram`, `top-4gram`: largest fraction of prose word characters covered by
     * the most frequent word n-gram (Gopher: 0.20, 0.18, 0.16). Catches keyword stuffing.
     * @default { 2: 0.2, 3: 0.18, 4: 0.16 }
     */
    maxTopNgramCharFraction: z
      .object({ 2: fraction, 3: fraction, 4: fraction })
      .default({ 2: 0.2, 3: 0.18, 4: 0.16 }),
    /**
     * `duplicate-5gram` … `duplicate-10gram`: largest fraction of prose word characters covered by
     * word n-grams that occur more than once (Gopher: 0.15 for 5-grams down to 0.10 for 10-grams).
     * Docs repeat flag names and product names, so these are looser than Gopher's.
     * @default { 5: 0.25, 6: 0.24, 7: 0.23, 8: 0.22, 9: 0.21, 10: 0.2 }
     */
    maxDuplicateNgramCharFraction: z
      .object({ 5: fraction, 6: fraction, 7: fraction, 8: fraction, 9: fraction, 10: fraction })
      .default({ 5: 0.25, 6: 0.24, 7: 0.23, 8: 0.22, 9: 0.21, 10: 0.2 }),
    /**
     * `mean-word-length`: mean length of prose words, punctuation trimmed, must be at least this
     * (Gopher: 3).
     * @default 3
     */
    minMeanWordLength: z.number().nonnegative().default(3),
    /**
     * `mean-word-length`: … and at most this (Gopher: 10; identifiers in prose run long).
     * @default 12
     */
    maxMeanWordLength: z.number().nonnegative().default(12),
    /**
     * `boilerplate`: largest fraction of prose lines that may contain a boilerplate phrase.
     * @default 0.15
     */
    maxBoilerplateLineFraction: fraction.default(0.15),
    /** Phrases counted by `boilerplate` (matched case-insensitively). @default DEFAULT_BOILERPLATE_PHRASES */
    boilerplatePhrases: z
      .array(z.string().min(1).toLowerCase())
      .default(() => [...DEFAULT_BOILERPLATE_PHRASES]),
    /**
     * `lorem-ipsum`: most occurrences of "lorem ipsum" in the prose (C4 drops any page with one).
     * @default 0
     */
    maxLoremIpsum: z.number().int().nonnegative().default(0),
    /**
     * `stop-words`: fewest stop-word occurrences the prose must have (Gopher: 2). Only meaningful
     * for English: set 0 for other languages.
     * @default 2
     */
    minStopWords: z.number().int().nonnegative().default(2),
    /** Words counted by `stop-words` (matched case-insensitively). @default DEFAULT_STOP_WORDS */
    stopWords: z.array(z.string().min(1).toLowerCase()).default(() => [...DEFAULT_STOP_WORDS]),
    /**
     * Filter names to skip, e.g. `['stop-words']`.
     * @default []
     */
    disable: z.array(z.string()).default([]),
  })
  .strict();

/** Options of {@link checkQuality}, as given (every field optional). */
export type QualityOptions = z.input<typeof QualityOptionsSchema>;
/** Options of {@link checkQuality} with every default filled in. */
export type ResolvedQualityOptions = z.output<typeof QualityOptionsSchema>;
