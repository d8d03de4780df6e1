/**
 * Query parameters that only track where a visitor came from; dropped by {@link normaliseUrl}
 * (matched case-insensitively). Every parameter starting with one of
 * {@link TRACKING_PARAMETER_PREFIXES} is dropped too.
 */
export const TRACKING_PARAMETERS: readonly string[] = [
  // Google Ads, Analytics and Display
  'gclid',
  'gclsrc',
  'dclid',
  'gbraid',
  'wbraid',
  '_ga',
  '_gl',
  // Meta, Microsoft, Yandex, Twitter/X, Instagram, TikTok, LinkedIn
  'fbclid',
  'msclkid',
  'yclid',
  'twclid',
  'igshid',
  'ttclid',
  'li_fat_id',
  // Mailchimp, HubSpot, Marketo, Vero, Olytics
  'mc_cid',
  'mc_eid',
  '_hsenc',
  '_hsmi',
  '__hssc',
  '__hstc',
  '__hsfp',
  'hsctatracking',
  'mkt_tok',
  'vero_id',
  'vero_conv',
  'oly_anon_id',
  'oly_enc_id',
  // Twitter embeds and generic referral markers
  'ref_src',
  'ref_url',
  '_branch_match_id',
];

/** Prefixes of tracking parameters (`utm_source`, `utm_medium`, … and the rarer `utm_*`). */
export const TRACKING_PARAMETER_PREFIXES: readonly string[] = ['utm_'];

const TRACKING = new Set(TRACKING_PARAMETERS);

/** Whether the query parameter `name` only tracks the visitor (see {@link TRACKING_PARAMETERS}). */
export function isTrackingParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    TRACKING.has(lower) || TRACKING_PARAMETER_PREFIXES.some((prefix) => lower.startsWith(prefix))
  );
}

/**
 * Puts a link in one canonical form, so that the same page is always written the same way:
 * - resolved against `base`; `null` when it does not parse or is not http(s) (`mailto:`,
 *   `javascript:`, `data:`, `tel:`, …);
 * - scheme and host in lower case (IDN hosts in punycode), default ports dropped, user name
 *   and password dropped (they are credentials, not part of the page's identity);
 * - dot segments resolved, the fragment dropped;
 * - tracking parameters dropped, the remaining parameters sorted by name (stably, so repeated
 *   names keep their order), an empty query removed;
 * - percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) decoded and all other
 *   escapes in upper case, in the path and the query.
 * Paths keep their case and trailing slash: servers may tell `/Docs` from `/docs`. See
 * {@link urlKey} for the looser key used to spot duplicates.
 *
 * @example normaliseUrl('HTTPS://Etcd.io:443/docs/./v3.6/?utm_source=x&b=2&a=1#install')
 * // 'https://etcd.io/docs/v3.6/?a=1&b=2'
 */
export function normaliseUrl(raw: string, base?: string): string | null {
  let url: URL;
  try {
    url = base === undefined ? new URL(raw.trim()) : new URL(raw.trim(), base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const path = normaliseEscapes(url.pathname);
  const query = normaliseQuery(url.search);
  return `${url.protocol}//${url.host}${path}${query === '' ? '' : `?${query}`}`;
}

/**
 * The key that tells whether two URLs are the same page: {@link normaliseUrl}, then a final
 * `/index.html` or `/index.htm` and a trailing slash removed (except for the root path), so
 * `/docs/a`, `/docs/a/` and `/docs/a/index.html` share a key. Something that is not an http(s)
 * URL is its own key (trimmed), so it still deduplicates.
 */
export function urlKey(url: string): string {
  const normalised = normaliseUrl(url);
  if (normalised === null) return url.trim();
  const parsed = new URL(normalised);
  let path = parsed.pathname.replace(/\/index\.html?$/i, '/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return `${parsed.protocol}//${parsed.host}${path}${parsed.search}`;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Decodes escapes of unreserved characters and upper-cases the rest; other text untouched. */
function normaliseEscapes(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * Drops tracking and empty parameters and sorts the rest by name. Works on the raw text of the
 * query (never decoding and re-encoding it), so `+`, `%20` and `%2B` keep their meaning.
 */
function normaliseQuery(search: string): string {
  if (search.length <= 1) return '';
  const parameters = search
    .slice(1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => normaliseEscapes(part))
    .map((part) => {
      const equals = part.indexOf('=');
      return { name: equals === -1 ? part : part.slice(0, equals), part };
    })
    .filter(({ name }) => !isTrackingParameter(decodeName(name)));
  parameters.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return parameters.map(({ part }) => part).join('&');
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
