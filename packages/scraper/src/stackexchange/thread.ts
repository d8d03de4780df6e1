import { z } from 'zod';

/** An author as the API or the dump names them; `link` is the profile page when known. */
export const PostOwnerSchema = z.object({
  displayName: z.string(),
  link: z.string().nullable(),
});
/** An author as the API or the dump names them. */
export type PostOwner = z.infer<typeof PostOwnerSchema>;

/** One answer of a {@link StackOverflowThread}. `body` is HTML. */
export const StackOverflowAnswerSchema = z.object({
  answerId: z.number().int(),
  body: z.string(),
  score: z.number().int(),
  isAccepted: z.boolean(),
  owner: PostOwnerSchema.nullable(),
  /** ISO 8601. */
  creationDate: z.string(),
  link: z.string(),
  /** As the site states it, e.g. `CC BY-SA 4.0`; `null` when not given. */
  contentLicense: z.string().nullable(),
});
/** One answer of a {@link StackOverflowThread}. */
export type StackOverflowAnswer = z.infer<typeof StackOverflowAnswerSchema>;

/**
 * A question with the answers chosen for it, from the API or from a data dump. `title` is
 * plain text (the API's HTML entities decoded); `body` and answer bodies are HTML.
 */
export const StackOverflowThreadSchema = z.object({
  questionId: z.number().int(),
  title: z.string(),
  body: z.string(),
  tags: z.array(z.string()),
  score: z.number().int(),
  link: z.string(),
  /** ISO 8601. */
  creationDate: z.string(),
  owner: PostOwnerSchema.nullable(),
  acceptedAnswerId: z.number().int().nullable(),
  /** Answers the question has on the site; `answers` holds only the chosen ones. */
  answerCount: z.number().int().nonnegative(),
  viewCount: z.number().int().nonnegative().nullable(),
  contentLicense: z.string().nullable(),
  answers: z.array(StackOverflowAnswerSchema),
});
/** A question with the answers chosen for it. */
export type StackOverflowThread = z.infer<typeof StackOverflowThreadSchema>;

/** Which answers a thread keeps. */
export const AnswerSelectionSchema = z.enum(['accepted-or-top', 'all']);
/**
 * `accepted-or-top`: the accepted answer, else the top-scored one, plus every other answer
 * scoring at least `minAnswerScore`; `all`: every answer.
 */
export type AnswerSelection = z.infer<typeof AnswerSelectionSchema>;

/**
 * Picks a thread's answers. With `accepted-or-top` the accepted answer (or, without one, the
 * best-scored) is always kept, whatever its score, because it is the answer readers are sent
 * to; others are kept from `minAnswerScore` up (none when it is not set). The result is
 * ordered accepted first, then by score, highest first.
 */
export function selectAnswers(
  answers: readonly StackOverflowAnswer[],
  options: { mode?: AnswerSelection; minAnswerScore?: number } = {},
): StackOverflowAnswer[] {
  const ordered = [...answers].sort(
    (a, b) =>
      Number(b.isAccepted) - Number(a.isAccepted) || b.score - a.score || a.answerId - b.answerId,
  );
  if ((options.mode ?? 'accepted-or-top') === 'all') return ordered;
  const [first, ...rest] = ordered;
  if (first === undefined) return [];
  const min = options.minAnswerScore;
  return [first, ...(min === undefined ? [] : rest.filter((a) => a.score >= min))];
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  copy: '©',
  reg: '®',
  trade: '™',
  times: '×',
  euro: '€',
};

/**
 * Decodes the HTML entities the StackExchange API puts in titles and display names
 * (`&#39;`, `&quot;`, `&amp;`, `&#x2F;`, …). Unknown named entities are left as they are.
 */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]*);/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code =
        name[1] === 'x' || name[1] === 'X'
          ? Number.parseInt(name.slice(2), 16)
          : Number.parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

// Sites whose host is not `{site}.stackexchange.com`.
const SITE_HOSTS: Record<string, string> = {
  stackoverflow: 'stackoverflow.com',
  serverfault: 'serverfault.com',
  superuser: 'superuser.com',
  askubuntu: 'askubuntu.com',
  mathoverflow: 'mathoverflow.net',
  'mathoverflow.net': 'mathoverflow.net',
  stackapps: 'stackapps.com',
};

/** The web host of an API site name: `stackoverflow` → `stackoverflow.com`, `devops` → `devops.stackexchange.com`. */
export function siteHost(site: string): string {
  const known = SITE_HOSTS[site];
  if (known !== undefined) return known;
  if (site.includes('.'))
    return site.endsWith('.com') || site.endsWith('.net') ? site : `${site}.com`;
  return `${site}.stackexchange.com`;
}

/** `CC BY-SA 4.0` → `CC-BY-SA-4.0` (SPDX); `null` for anything else. */
export function spdxFromContentLicense(license: string | null): string | null {
  if (license === null) return null;
  const match = /^CC BY-SA (2\.5|3\.0|4\.0)$/i.exec(license.trim());
  return match === null ? null : `CC-BY-SA-${match[1]}`;
}
