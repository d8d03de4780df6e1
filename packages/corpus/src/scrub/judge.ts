import { isIPv6 } from 'node:net';

// The judgements the scrub rules share: is a matched value a placeholder a docs author wrote, a
// random-looking secret, an address anyone may publish? Each is cheap and runs only on matches.

const PLACEHOLDER_WORDS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'key',
  'changeme',
  'change_me',
  'change-me',
  'changeit',
  'replaceme',
  'replace_me',
  'replace-me',
  'example',
  'sample',
  'placeholder',
  'redacted',
  'dummy',
  'fake',
  'test',
  'testing',
  'admin',
  'root',
  'guest',
  'user',
  'username',
  'foo',
  'bar',
  'baz',
  'none',
  'null',
  'nil',
  'undefined',
  'true',
  'false',
  'todo',
  'tbd',
  'fixme',
  'hunter2',
]);

const PLACEHOLDER_SHAPES = [
  /^<[^<>]*>$/, // <your-token>
  /^\[[^[\]]*\]$/, // [TOKEN]
  /^\$\{[^}]*\}$/, // ${GITHUB_TOKEN}
  /^\$\([^)]*\)$/, // $(cat token)
  /^\$[A-Za-z_][A-Za-z0-9_]*$/, // $TOKEN
  /^%[A-Za-z_][A-Za-z0-9_]*%$/, // %TOKEN%
  /^\{\{.*\}\}$/, // {{ .Values.token }}
  /^\{[A-Za-z_][A-Za-z0-9_.-]*\}$/, // {token}
  /^(.)\1*$/, // xxxxxxxx, 00000000
];

// Substrings no live credential contains but placeholders often do. Runs such as "123456" and
// "abcdef" occur in a random 40-character key with odds below one in a million.
const PLACEHOLDER_PARTS =
  /x{4,}|\*{3,}|\.{3}|…|<|>|\$\{|\{\{|\$\(|your|example|placeholder|replace|changeme|change_me|redacted|dummy|sample|insert|123456|abcdef|abc123/i;

/**
 * Whether `value` is what a docs author writes instead of a real secret: `<your-token>`,
 * `${GITHUB_TOKEN}`, `$TOKEN`, `xxxx`, `changeme`, `REPLACE_ME`, `...`, one repeated character,
 * AWS's `…EXAMPLE` keys.
 */
export function isPlaceholder(value: string): boolean {
  if (PLACEHOLDER_WORDS.has(value.toLowerCase())) return true;
  if (PLACEHOLDER_SHAPES.some((shape) => shape.test(value))) return true;
  return PLACEHOLDER_PARTS.test(value);
}

/** Shannon entropy of `value`'s characters, in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  const length = [...value].length;
  for (const count of counts.values()) {
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** How a free-form value must look before it is taken for a secret. */
export interface SecretShape {
  minLength: number;
  minEntropy: number;
}

const REFERENCE =
  /^(?:\/|\.\/|\.\.\/|~\/|file:|env:|vault:|ref\+|arn:|process\.env|os\.environ|secretKeyRef|valueFrom)|:\/\//;
// Code that names a value instead of holding it: `settings.SECRET_KEY`, `config.authToken`,
// `os.environ`, `DB_PASSWORD`. Segments must read as words (lower, UPPER_SNAKE, camelCase,
// PascalCase, at most two trailing digits), so a random `idh96tg92Rkrf.o_` is not taken for code.
const CODE_SEGMENT =
  '(?:[a-z_$][a-z_$]*|[A-Z][A-Z_]*|[a-z]+(?:[A-Z][a-z]+)+|(?:[A-Z][a-z]+)+)\\d{0,2}';
const CODE_REFERENCE = new RegExp(
  `^(?:${CODE_SEGMENT}(?:\\.${CODE_SEGMENT})+|[A-Z]+(?:_[A-Z0-9]+)+)$`,
);
const NUMBER = /^[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]{0,3}$/i;
// An identifier: lower-case words joined by - _ . with short digit runs ("etcd-client-tls",
// "token-01", "my-etcd-token"), or lowerCamelCase with a few humps ("secretName").
const IDENTIFIER = /^(?:[a-z]+\d{0,3}(?:[-_.][a-z0-9]+)*|[a-z]+(?:[A-Z][a-z]+){1,3}\d{0,2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * Whether a value assigned to a secret-sounding key (`password=`, `api_key:`) looks like a real
 * secret: long enough, random enough, mixing character classes, and not a placeholder, a reference
 * (`$VAR`, a path, a URL), a number or an identifier. A value that is valid base64 of printable
 * text (a Kubernetes Secret's `data:`) is judged by what it decodes to, so `YWRtaW4=` ("admin")
 * stays while the base64 of a random password goes.
 */
export function looksLikeSecret(value: string, shape: SecretShape): boolean {
  if (value.length < shape.minLength) return false;
  if (BASE64.test(value)) {
    const decoded = Buffer.from(value, 'base64').toString('latin1');
    if (PRINTABLE.test(decoded)) {
      const password = decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : decoded;
      return looksLikeSecret(password, { ...shape, minLength: Math.min(shape.minLength, 6) });
    }
  }
  if (isPlaceholder(value) || REFERENCE.test(value) || CODE_REFERENCE.test(value)) return false;
  if (NUMBER.test(value) || IDENTIFIER.test(value)) return false;
  let classes = 0;
  if (/[a-z]/.test(value)) classes += 1;
  if (/[A-Z]/.test(value)) classes += 1;
  if (/\d/.test(value)) classes += 1;
  if (/[^A-Za-z0-9]/.test(value)) classes += 1;
  if (classes < 2) return false;
  return shannonEntropy(value) >= shape.minEntropy;
}

/** Whether a token's random part is really random-looking (not `xxxx…`, not a placeholder). */
export function looksRandom(body: string): boolean {
  if (isPlaceholder(body)) return false;
  return shannonEntropy(body) >= 3;
}

// Addresses that are no one's personal data: loopback, private, link-local, shared (CGNAT),
// documentation (RFC 5737), benchmarking, multicast and reserved ranges; the dummy 1.2.3.x and
// 5.6.7.x every tutorial uses; and public resolvers, which are services, not people.
const KEPT_IPV4_RANGES: readonly (readonly [number, number])[] = [
  cidr4('0.0.0.0', 8),
  cidr4('10.0.0.0', 8),
  cidr4('100.64.0.0', 10),
  cidr4('127.0.0.0', 8),
  cidr4('169.254.0.0', 16),
  cidr4('172.16.0.0', 12),
  cidr4('192.0.0.0', 24),
  cidr4('192.0.2.0', 24),
  cidr4('192.168.0.0', 16),
  cidr4('198.18.0.0', 15),
  cidr4('198.51.100.0', 24),
  cidr4('203.0.113.0', 24),
  cidr4('224.0.0.0', 3),
  cidr4('1.2.3.0', 24),
  cidr4('5.6.7.0', 24),
];
const PUBLIC_RESOLVERS = new Set([
  '1.1.1.1',
  '1.0.0.1',
  '8.8.8.8',
  '8.8.4.4',
  '9.9.9.9',
  '149.112.112.112',
  '208.67.222.222',
  '208.67.220.220',
]);

function ipv4ToNumber(address: string): number {
  let value = 0;
  for (const part of address.split('.')) value = value * 256 + Number(part);
  return value;
}

function cidr4(base: string, bits: number): readonly [number, number] {
  const start = ipv4ToNumber(base);
  return [start, start + 2 ** (32 - bits) - 1];
}

/** Whether an IPv4 address may stay in the text (see the ranges above). */
export function isPublishableIPv4(address: string): boolean {
  if (PUBLIC_RESOLVERS.has(address)) return true;
  const value = ipv4ToNumber(address);
  return KEPT_IPV4_RANGES.some(([start, end]) => value >= start && value <= end);
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail becomes two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail !== null) {
    const v4 = ipv4ToNumber(tail[1]!);
    text = `${text.slice(0, tail.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(zeros).fill('0'), ...right].map((group) =>
    Number.parseInt(group, 16),
  );
}

/**
 * Whether an IPv6 address may stay: unspecified, loopback, IPv4-mapped, link-local, unique-local,
 * multicast, and the documentation prefixes 2001:db8::/32 and 3fff::/20.
 */
export function isPublishableIPv6(address: string): boolean {
  const groups = ipv6Groups(address);
  const [g0 = 0, g1 = 0] = groups;
  if (groups.slice(0, 7).every((group) => group === 0)) return true; // :: and ::1
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) return true;
  if ((g0 & 0xffc0) === 0xfe80) return true;
  if ((g0 & 0xfe00) === 0xfc00) return true;
  if ((g0 & 0xff00) === 0xff00) return true;
  if (g0 === 0x2001 && g1 === 0x0db8) return true;
  return (g0 & 0xfff0) === 0x3ff0;
}

/** Whether `candidate` is an IPv6 address with enough groups to be one and not code (`a::b`). */
export function isIPv6Address(candidate: string): boolean {
  if (!isIPv6(candidate)) return false;
  const groups = candidate.split(':').filter((group) => group !== '');
  return groups.length >= 3 || candidate.startsWith('::') || candidate.endsWith('::');
}

// Example and special-use domains (RFC 2606, RFC 6761) and the role and list addresses projects
// publish on purpose: no one's personal data.
const EXAMPLE_DOMAIN = /(?:^|\.)(?:example|test|invalid|localhost|local|internal)$|^example\./i;
const LIST_DOMAIN = /^(?:googlegroups\.com|groups\.io|lists\.[a-z0-9.-]+|[a-z0-9-]+\.groups\.io)$/i;
const ROLE_LOCAL_PART =
  /^(?:no-?reply|do-?not-?reply|noreply[-+.a-z0-9]*|security|support|info|contact|help|hello|abuse|postmaster|hostmaster|webmaster|privacy|legal|press|sales|billing|team|maintainers|conduct|community|git|admin|root|ops|announce|[a-z0-9-]+-(?:team|dev|devs|developers|users|maintainers|announce|security|private|discuss|steering|admins))$/i;

/**
 * Whether an email address may stay: example domains, mailing-list hosts, role and list local
 * parts (`security@`, `noreply@`, `prometheus-team@`), `git@host` SSH remotes and placeholders.
 */
export function isPublishableEmail(address: string): boolean {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (EXAMPLE_DOMAIN.test(domain) || LIST_DOMAIN.test(domain)) return true;
  if (domain.toLowerCase() === 'users.noreply.github.com') return false;
  if (ROLE_LOCAL_PART.test(local)) return true;
  return (
    isPlaceholder(local) || /^(?:you|your[._-]?name|name|someone|username|user[0-9]?)$/i.test(local)
  );
}
