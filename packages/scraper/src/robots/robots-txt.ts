import { isScraperError, ScraperError } from '../errors.js';
import type { Fetcher } from '../http/fetcher.js';

/** The rules of one robots.txt file (RFC 9309), ready to answer per user agent. */
export interface RobotsTxt {
  /**
   * Whether `userAgent` may fetch `urlOrPath` (an absolute URL, or a path with its query).
   * `/robots.txt` itself is always allowed.
   */
  isAllowed(urlOrPath: string, userAgent: string): boolean;
  /** The group's `Crawl-delay` in milliseconds (not part of RFC 9309, widely used), or `null`. */
  crawlDelayMs(userAgent: string): number | null;
  /** `Sitemap:` URLs, in file order, whatever group they appear in. */
  readonly sitemaps: string[];
}

/** How {@link fetchRobotsTxt} got its answer, following RFC 9309 §2.3.1. */
export type RobotsStatus = 'ok' | 'missing' | 'unreachable';

/** The most of a robots.txt file that is read (RFC 9309 asks crawlers to parse at least 500 KiB). */
export const ROBOTS_MAX_BYTES = 500 * 1024;

interface Rule {
  allow: boolean;
  /** The pattern after percent-encoding normalisation, `$` removed. */
  pattern: string;
  /** True when the pattern ended in `$`: the path must end where the pattern does. */
  anchored: boolean;
  /** Specificity: length of the pattern as written (normalised), `$` included. */
  length: number;
}

interface Group {
  agents: string[];
  rules: Rule[];
  crawlDelayMs: number | null;
}

interface Selected {
  rules: Rule[];
  crawlDelayMs: number | null;
}

/**
 * The product token of a user agent string: what robots.txt groups are matched against, in
 * lower case. `cncf-llm-scraper/0.1 (+https://example.org/bot)` → `cncf-llm-scraper`.
 */
export function productToken(userAgent: string): string {
  const match = /^\s*([A-Za-z0-9_-]+)/.exec(userAgent);
  return (match?.[1] ?? userAgent.trim()).toLowerCase();
}

/**
 * Parses robots.txt text the way RFC 9309 describes:
 * - groups start at `user-agent` lines (consecutive ones share a group); groups naming the same
 *   agent are merged; an agent without a group of its own gets the `*` groups, and with no `*`
 *   group everything is allowed;
 * - within the selected rules the longest matching pattern wins and `allow` wins a tie;
 *   `*` matches any run of characters and a final `$` anchors the end;
 * - paths and patterns are compared with percent-encoding normalised (non-ASCII encoded as
 *   UTF-8, escapes of unreserved characters decoded, other escapes upper-cased);
 * - lines it does not know (and rules before the first `user-agent`) are ignored, a UTF-8 BOM
 *   is tolerated and only the first {@link ROBOTS_MAX_BYTES} are read.
 * `Crawl-delay` (seconds) is read per group too; merged groups keep the largest.
 */
export function parseRobotsTxt(text: string): RobotsTxt {
  const groups: Group[] = [];
  const sitemaps: string[] = [];
  let current: Group | null = null;
  let lastWasAgent = false;

  for (const rawLine of capped(text).split(/\r\n|\r|\n/)) {
    const hash = rawLine.indexOf('#');
    const line = (hash === -1 ? rawLine : rawLine.slice(0, hash)).trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();

    switch (canonicalKey(key)) {
      case 'user-agent': {
        if (current === null || !lastWasAgent) {
          current = { agents: [], rules: [], crawlDelayMs: null };
          groups.push(current);
        }
        current.agents.push(value.startsWith('*') ? '*' : productToken(value));
        lastWasAgent = true;
        break;
      }
      case 'allow':
      case 'disallow': {
        lastWasAgent = false;
        // An empty pattern matches nothing: `Disallow:` alone means "allow everything".
        if (current === null || value === '') break;
        const anchored = value.endsWith('$');
        const pattern = normalisePath(anchored ? value.slice(0, -1) : value);
        current.rules.push({
          allow: canonicalKey(key) === 'allow',
          pattern,
          anchored,
          length: pattern.length + (anchored ? 1 : 0),
        });
        break;
      }
      case 'crawl-delay': {
        lastWasAgent = false;
        const seconds = Number(value);
        if (current !== null && value !== '' && Number.isFinite(seconds) && seconds >= 0) {
          current.crawlDelayMs = Math.round(seconds * 1000);
        }
        break;
      }
      case 'sitemap': {
        // Sitemaps belong to the file, not to a group, and do not end one.
        if (isHttpUrl(value)) sitemaps.push(value);
        break;
      }
      default:
        break;
    }
  }
  return new ParsedRobots(groups, sitemaps);
}

/** A robots.txt that allows everything (a missing file). */
export function allowAllRobots(): RobotsTxt {
  return parseRobotsTxt('');
}

/** A robots.txt that disallows everything but itself (an unreachable file). */
export function disallowAllRobots(): RobotsTxt {
  return parseRobotsTxt('User-agent: *\nDisallow: /\n');
}

/**
 * Fetches and parses `${origin}/robots.txt`. Per RFC 9309 §2.3.1: a 2xx is parsed (`ok`); a
 * 4xx means there are no rules (`missing`, allow all), as do redirects that loop or go on too
 * long; a 5xx, a network failure or a timeout means the site may not be crawled for now
 * (`unreachable`, disallow all). A 429 counts as unreachable, not as a 4xx: a server asking to
 * slow down has not said "no rules". An abort is rethrown.
 */
export async function fetchRobotsTxt(
  fetcher: Fetcher,
  origin: string,
  options: { signal?: AbortSignal } = {},
): Promise<{ robots: RobotsTxt; status: RobotsStatus }> {
  let url: string;
  try {
    url = new URL('/robots.txt', origin).href;
  } catch (error) {
    throw new ScraperError(
      'invalid-options',
      `fetchRobotsTxt needs an origin such as https://etcd.io, got "${origin}".`,
      {
        cause: error,
      },
    );
  }
  try {
    const response = await fetcher.fetch(url, {
      accept: 'text/plain, */*;q=0.5',
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const text = new TextDecoder('utf-8').decode(response.body.subarray(0, ROBOTS_MAX_BYTES));
    return { robots: parseRobotsTxt(text), status: 'ok' };
  } catch (error) {
    if (isScraperError(error, 'aborted')) throw error;
    if (isScraperError(error)) {
      const { code, status } = error;
      const unavailable =
        code === 'redirect-loop' ||
        code === 'too-many-redirects' ||
        (code === 'http-error' &&
          status !== undefined &&
          status >= 300 &&
          status < 500 &&
          status !== 429) ||
        (code === 'invalid-response' && status !== undefined && status >= 300 && status < 400);
      if (unavailable) return { robots: allowAllRobots(), status: 'missing' };
    }
    return { robots: disallowAllRobots(), status: 'unreachable' };
  }
}

class ParsedRobots implements RobotsTxt {
  readonly sitemaps: string[];
  readonly #groups: Group[];
  readonly #selected = new Map<string, Selected>();

  constructor(groups: Group[], sitemaps: string[]) {
    this.#groups = groups;
    this.sitemaps = sitemaps;
  }

  isAllowed(urlOrPath: string, userAgent: string): boolean {
    const path = normalisePath(pathOf(urlOrPath));
    if (path === '/robots.txt') return true;
    let best: Rule | null = null;
    for (const rule of this.#select(userAgent).rules) {
      if (
        best !== null &&
        (rule.length < best.length || (rule.length === best.length && best.allow))
      ) {
        continue;
      }
      if (matches(rule, path)) best = rule;
    }
    return best === null || best.allow;
  }

  crawlDelayMs(userAgent: string): number | null {
    return this.#select(userAgent).crawlDelayMs;
  }

  #select(userAgent: string): Selected {
    const token = productToken(userAgent);
    let selected = this.#selected.get(token);
    if (selected === undefined) {
      let groups = this.#groups.filter((group) => group.agents.includes(token));
      if (groups.length === 0) groups = this.#groups.filter((group) => group.agents.includes('*'));
      const delays = groups
        .map((group) => group.crawlDelayMs)
        .filter((ms): ms is number => ms !== null);
      selected = {
        rules: groups.flatMap((group) => group.rules),
        crawlDelayMs: delays.length === 0 ? null : Math.max(...delays),
      };
      this.#selected.set(token, selected);
    }
    return selected;
  }
}

/** Accepts the spellings of robots.txt keys that real files use besides the standard ones. */
function canonicalKey(key: string): string {
  switch (key) {
    case 'user-agent':
    case 'useragent':
    case 'user agent':
      return 'user-agent';
    case 'disallow':
    case 'dissallow':
    case 'dissalow':
    case 'disalow':
      return 'disallow';
    case 'crawl-delay':
    case 'crawldelay':
      return 'crawl-delay';
    case 'site-map':
      return 'sitemap';
    default:
      return key;
  }
}

/** Cuts the text at ROBOTS_MAX_BYTES (of UTF-8) and drops a BOM. */
function capped(text: string): string {
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length > ROBOTS_MAX_BYTES / 4 && Buffer.byteLength(body) > ROBOTS_MAX_BYTES) {
    body = Buffer.from(body).subarray(0, ROBOTS_MAX_BYTES).toString('utf8');
    // The last line may be cut in half; a half rule is worse than none.
    body = body.slice(0, body.lastIndexOf('\n') + 1);
  }
  return body;
}

function pathOf(urlOrPath: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(urlOrPath)) {
    try {
      const url = new URL(urlOrPath);
      return url.pathname + url.search;
    } catch {
      return urlOrPath;
    }
  }
  const hash = urlOrPath.indexOf('#');
  const path = hash === -1 ? urlOrPath : urlOrPath.slice(0, hash);
  return path.startsWith('/') ? path : `/${path}`;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * One form for comparing paths and patterns (RFC 9309 §2.2.2): escapes of unreserved
 * characters decoded, other escapes in upper case, and everything else that is not plain
 * printable ASCII (non-ASCII, spaces, controls) percent-encoded as UTF-8. `*` is left alone.
 */
function normalisePath(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i += 1) {
    const char = path[i] as string;
    if (char === '%' && /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) {
      const decoded = String.fromCharCode(Number.parseInt(path.slice(i + 1, i + 3), 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
      continue;
    }
    const code = char.charCodeAt(0);
    if (code > 0x20 && code < 0x7f) {
      out += char;
      continue;
    }
    // A whole code point (a surrogate pair counts as one), encoded as UTF-8.
    const point = path.codePointAt(i) as number;
    const whole = String.fromCodePoint(point);
    i += whole.length - 1;
    for (const byte of Buffer.from(whole, 'utf8'))
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Whether `path` starts with the rule's pattern, `*` matching any run of characters (and the
 * whole path when anchored). Greedy matching with one backtrack point: linear in practice and
 * never exponential, whatever a robots.txt author writes.
 */
function matches(rule: Rule, path: string): boolean {
  const pattern = rule.pattern;
  let p = 0;
  let s = 0;
  let star = -1;
  let resume = 0;
  while (s < path.length) {
    if (p === pattern.length && !rule.anchored) return true;
    if (p < pattern.length && pattern[p] === '*') {
      star = p;
      p += 1;
      resume = s;
    } else if (p < pattern.length && pattern[p] === path[s]) {
      p += 1;
      s += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      s = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
