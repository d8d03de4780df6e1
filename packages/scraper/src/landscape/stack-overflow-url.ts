/** The tags a Stack Overflow link points at, and how they combine. */
export interface StackOverflowQuery {
  /** Tag names, lower case, URL-decoded (`c#`, `nats.io`). */
  tags: string[];
  /** `any`: questions with any of the tags (`a+or+b`); `all`: with every tag (`a+b`). */
  match: 'any' | 'all';
}

const HOSTS =
  /^(?:www\.)?(?:stackoverflow\.com|[a-z0-9-]+\.stackexchange\.com|serverfault\.com|superuser\.com)$/;

/**
 * Reads the tags from a Stack Overflow tag link, as used by `extra.stack_overflow_url`:
 * `https://stackoverflow.com/questions/tagged/etcd`, `…/tagged/argoproj+or+argo`,
 * `…/tagged/a+b`, or a tag page `…/tags/etcd/info`. Returns `null` for anything else
 * (a search URL, another site), because a search has no stable tag to follow.
 */
export function parseStackOverflowUrl(url: string): StackOverflowQuery | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (!HOSTS.test(parsed.hostname.toLowerCase())) return null;
  const match = /^\/(?:questions\/tagged|tags)\/([^/]+)/.exec(parsed.pathname);
  if (!match?.[1]) return null;
  let expression: string;
  try {
    expression = decodeURIComponent(match[1].replace(/\+/g, ' '));
  } catch {
    return null;
  }
  const tokens = expression
    .toLowerCase()
    .split(/\s+/)
    .filter((token) => token !== '');
  const isAny = tokens.includes('or');
  const tags = [...new Set(tokens.filter((token) => token !== 'or' && token !== 'and'))].filter(
    (tag) => /^[a-z0-9#+.-]+$/.test(tag),
  );
  if (tags.length === 0) return null;
  return { tags, match: isAny || tags.length === 1 ? 'any' : 'all' };
}
