import {
  isIPv6Address,
  isPlaceholder,
  isPublishableEmail,
  isPublishableIPv4,
  isPublishableIPv6,
  looksLikeSecret,
  looksRandom,
  type SecretShape,
} from './judge.js';

/** What a rule sees of one match and of the run it is part of. */
export interface RuleMatch {
  /** The whole match. */
  match: string;
  /** Named groups of the pattern (absent ones are `undefined`). */
  groups: Record<string, string | undefined>;
  /** The text being scrubbed and the match's offset in it (for a look at the context). */
  text: string;
  offset: number;
  secretShape: SecretShape;
}

/**
 * One scrubbing rule, as documented data: what it finds, what it puts instead, why, and what it
 * deliberately leaves alone.
 */
export interface ScrubRule {
  /** Stable name, used in `ScrubOptions.disable`. */
  readonly name: string;
  /** The type written into the text as `<TYPE>` and counted under `TYPE`. */
  readonly placeholder: string;
  /** The pattern (global). Exported for reading; `scrubText` is the way to apply it. */
  readonly pattern: RegExp;
  /** Why the rule exists and what it leaves alone. */
  readonly why: string;
  /**
   * Cheap substring test on the text that must pass before the pattern is run:
   * most documents contain no `AKIA`, no `-----BEGIN`, no `xox`, and skip those scans entirely.
   */
  readonly prefilter?: (text: string) => boolean;
  /**
   * The replacement for one match, or `undefined` to leave it as written (a placeholder, an
   * example address).
   */
  readonly replace: (m: RuleMatch) => Replacement | undefined;
}

/** What one match becomes, and the placeholder type it is counted under. */
export interface Replacement {
  text: string;
  type: string;
}

/** The whole match becomes `<TYPE>`. */
const tag = (type: string): Replacement => ({ text: `<${type}>`, type });

/** Only the `value` group becomes `<TYPE>`: the key and separator (or user and host) stay. */
function replaceValue(m: RuleMatch, type: string): Replacement {
  const value = m.groups.value!;
  const at = m.match.lastIndexOf(value);
  return { text: `${m.match.slice(0, at)}<${type}>${m.match.slice(at + value.length)}`, type };
}

const BASE64_BODY = /[A-Za-z0-9+/]/g;

/**
 * The rules, in the order they run. Provider tokens come before the generic rules, so a GitHub
 * token inside a URL or after `token:` is counted as a GitHub token, and the generic rules then
 * see only the placeholder (which they leave alone).
 */
export const SCRUB_RULES: readonly ScrubRule[] = Object.freeze(
  (
    [
      {
        name: 'private-key',
        placeholder: 'PRIVATE_KEY',
        pattern:
          /-----BEGIN (?<kind>(?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?-----END \k<kind>PRIVATE KEY(?: BLOCK)?-----|(?:(?:\r?\n|\\n)(?:[A-Za-z0-9+/=]{16,}|(?:Proc-Type|DEK-Info|Comment): [^\n]*))+)/g,
        why: 'A PEM private key (RSA, EC, OpenSSH, PKCS#8, encrypted, PGP) is replaced whole, BEGIN to END line, also when the END line was cut off or the newlines are escaped (`\\n` in JSON). Kept: blocks with fewer than 32 base64 characters inside, which is how docs show a key (`MIIE...`). Certificates and public keys are public and never touched.',
        prefilter: (text) => text.includes('PRIVATE KEY'),
        replace: (m) => {
          const body = m.match.replace(/^-----BEGIN[^\n]*?-----|-----END[^\n]*-----$|\\n/g, '');
          const base64 = body.match(BASE64_BODY)?.length ?? 0;
          return base64 >= 32 && !body.includes('...') ? tag('PRIVATE_KEY') : undefined;
        },
      },
      {
        name: 'private-key-base64',
        placeholder: 'PRIVATE_KEY',
        pattern: /\bLS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2}/g,
        why: 'A base64-encoded PEM private key, as a Kubernetes Secret carries `tls.key`: replaced when the decoded text is a private key with a real body.',
        prefilter: (text) => text.includes('LS0tLS1CRUdJTi'),
        replace: (m) => {
          const decoded = Buffer.from(m.match, 'base64').toString('latin1');
          if (!/PRIVATE KEY/.test(decoded)) return undefined;
          const body = decoded.replace(/-----[A-Z ]+-----/g, '');
          return (body.match(BASE64_BODY)?.length ?? 0) >= 32 ? tag('PRIVATE_KEY') : undefined;
        },
      },
      {
        name: 'aws-access-key-id',
        placeholder: 'AWS_ACCESS_KEY_ID',
        pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
        why: "An AWS access key id (AKIA… long-term, ASIA… temporary). Kept: AWS's documentation keys, which end in EXAMPLE.",
        prefilter: (text) =>
          text.includes('AKIA') ||
          text.includes('ASIA') ||
          text.includes('ABIA') ||
          text.includes('ACCA'),
        replace: (m) => (isPlaceholder(m.match) ? undefined : tag('AWS_ACCESS_KEY_ID')),
      },
      {
        name: 'aws-secret-access-key',
        placeholder: 'AWS_SECRET_ACCESS_KEY',
        pattern:
          /(?<key>aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?[ \t]*(?:=|:|=>)[ \t]*["']?(?<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
        why: 'An AWS secret access key is 40 base64 characters with no prefix of its own, so it is only recognised after its name (`aws_secret_access_key =`, `AWS_SECRET_ACCESS_KEY=`, `SecretAccessKey:`); the name is kept. Kept: keys containing EXAMPLE.',
        prefilter: (text) =>
          (text.includes('ecret') || text.includes('ECRET')) && /secret_?access_?key/i.test(text),
        replace: (m) =>
          isPlaceholder(m.groups.value!) ? undefined : replaceValue(m, 'AWS_SECRET_ACCESS_KEY'),
      },
      {
        name: 'github-token',
        placeholder: 'GITHUB_TOKEN',
        pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{70,})\b/g,
        why: 'GitHub tokens: classic personal (ghp_), OAuth (gho_), user-to-server (ghu_), server-to-server (ghs_), refresh (ghr_) and fine-grained (github_pat_). Kept: placeholder bodies (`ghp_xxxx…`).',
        prefilter: (text) => /gh[pousr]_|github_pat_/.test(text),
        replace: (m) =>
          looksRandom(m.match.replace(/^(?:gh[pousr]_|github_pat_)/, ''))
            ? tag('GITHUB_TOKEN')
            : undefined,
      },
      {
        name: 'gitlab-token',
        placeholder: 'GITLAB_TOKEN',
        pattern: /\bgl(?:pat|dt|rt|ptt|ft|cbt|oas|imt|agent|soat|ffct)-[A-Za-z0-9_-]{20,}/g,
        why: 'GitLab tokens: personal/project/group access (glpat-), deploy (gldt-), runner (glrt-), pipeline trigger (glptt-), feed, CI build, OAuth, agent and others.',
        prefilter: (text) => text.includes('gl') && /gl[a-z]{1,5}-/.test(text),
        replace: (m) =>
          looksRandom(m.match.slice(m.match.indexOf('-') + 1)) ? tag('GITLAB_TOKEN') : undefined,
      },
      {
        name: 'slack-token',
        placeholder: 'SLACK_TOKEN',
        pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g,
        why: 'Slack bot (xoxb-), user (xoxp-), app-level (xoxa-), refresh (xoxe-) and legacy tokens. Kept: ones without the numeric workspace and user ids real tokens carry (`xoxb-your-token`, `xoxb-XXXX`).',
        prefilter: (text) => text.includes('xox'),
        replace: (m) =>
          (m.match.match(/\d/g)?.length ?? 0) >= 8 && !isPlaceholder(m.match.slice(5))
            ? tag('SLACK_TOKEN')
            : undefined,
      },
      {
        name: 'slack-webhook',
        placeholder: 'SLACK_WEBHOOK',
        pattern:
          /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{20,}/g,
        why: "A Slack incoming-webhook URL is a credential by itself: anyone holding it can post. Kept: Slack's own placeholder form (T00000000/B00000000/XXXXXXXX…).",
        prefilter: (text) => text.includes('hooks.slack.com'),
        replace: (m) => {
          const secret = m.match.slice(m.match.lastIndexOf('/') + 1);
          return looksRandom(secret) ? tag('SLACK_WEBHOOK') : undefined;
        },
      },
      {
        name: 'stripe-key',
        placeholder: 'STRIPE_KEY',
        pattern: /\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})\b/g,
        why: 'Stripe secret (sk_), restricted (rk_) and webhook-signing (whsec_) keys, live or test. Kept: publishable keys (pk_), which are meant to be public.',
        prefilter: (text) =>
          text.includes('_live_') || text.includes('_test_') || text.includes('whsec_'),
        replace: (m) =>
          looksRandom(m.match.slice(m.match.lastIndexOf('_') + 1)) ? tag('STRIPE_KEY') : undefined,
      },
      {
        name: 'google-api-key',
        placeholder: 'GOOGLE_API_KEY',
        pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
        why: 'A Google Cloud / Firebase API key (AIza + 35 characters).',
        prefilter: (text) => text.includes('AIza'),
        replace: (m) => (looksRandom(m.match.slice(4)) ? tag('GOOGLE_API_KEY') : undefined),
      },
      {
        name: 'anthropic-api-key',
        placeholder: 'ANTHROPIC_API_KEY',
        pattern: /\bsk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{40,}/g,
        why: 'An Anthropic API key (sk-ant-api03-…); runs before the OpenAI rule, which would otherwise claim the sk- prefix.',
        prefilter: (text) => text.includes('sk-ant-'),
        replace: (m) => (looksRandom(m.match.slice(14)) ? tag('ANTHROPIC_API_KEY') : undefined),
      },
      {
        name: 'openai-api-key',
        placeholder: 'OPENAI_API_KEY',
        pattern:
          /\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})(?![A-Za-z0-9_-])/g,
        why: 'OpenAI keys: project (sk-proj-), service-account (sk-svcacct-), admin (sk-admin-) and legacy user keys (sk- + 48, with the T3BlbkFJ marker or without).',
        prefilter: (text) => text.includes('sk-'),
        replace: (m) => (looksRandom(m.match.slice(3)) ? tag('OPENAI_API_KEY') : undefined),
      },
      {
        name: 'hf-token',
        placeholder: 'HF_TOKEN',
        pattern: /\bhf_[A-Za-z0-9]{34,40}(?![A-Za-z0-9_])/g,
        why: 'A Hugging Face user access token (hf_ + 34 letters and digits). Identifiers such as `hf_hub_download` never match: they contain underscores.',
        prefilter: (text) => text.includes('hf_'),
        replace: (m) => {
          const body = m.match.slice(3);
          return /[a-z]/.test(body) && /[A-Z]/.test(body) && looksRandom(body)
            ? tag('HF_TOKEN')
            : undefined;
        },
      },
      {
        name: 'npm-token',
        placeholder: 'NPM_TOKEN',
        pattern: /\bnpm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/g,
        why: 'An npm access token (npm_ + 36). Legacy `_authToken=` UUID tokens are caught by the secret-assignment rule.',
        prefilter: (text) => text.includes('npm_'),
        replace: (m) => (looksRandom(m.match.slice(4)) ? tag('NPM_TOKEN') : undefined),
      },
      {
        name: 'jwt',
        placeholder: 'JWT',
        pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
        why: 'A JSON Web Token (header.payload.signature, both JSON parts starting `eyJ`): a bearer credential, and its payload often names a person. Replaced whenever the header decodes to a JWT header (`alg`/`typ`), examples included: a docs example cannot be told from a leaked token.',
        prefilter: (text) => text.includes('eyJ'),
        replace: (m) => {
          const header = Buffer.from(m.match.slice(0, m.match.indexOf('.')), 'base64url').toString(
            'latin1',
          );
          return /"(?:alg|typ)"/.test(header) ? tag('JWT') : undefined;
        },
      },
      {
        name: 'url-credentials',
        placeholder: 'PASSWORD',
        pattern:
          /\b(?<scheme>[a-z][a-z0-9+.-]{1,20}:\/\/)(?<user>[^\s:/?#@[\]"'<>`]+):(?<value>[^\s/?#@"'<>`]+)@(?=[^\s/?#@"'<>`])/gi,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows the `${VAR}` placeholder syntax
        why: 'The password of `scheme://user:password@host` is replaced; scheme, user and host stay. Kept: placeholders (`password`, `<password>`, `${DB_PASSWORD}`, `$PASS`, `****`) and a password equal to the user name (`admin:admin@`, a default credential).',
        prefilter: (text) => text.includes('://') && text.includes('@'),
        replace: (m) => {
          const value = m.groups.value!;
          if (isPlaceholder(value) || value === m.groups.user) return undefined;
          return replaceValue(m, 'PASSWORD');
        },
      },
      {
        name: 'secret-assignment',
        placeholder: 'SECRET',
        // Keyword first, so the scan jumps between keyword hits instead of trying every identifier;
        // the rest of the key to the left is read back in `replace`.
        pattern:
          /(?<key>(?:passw(?:or)?d|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|token|credentials?|authorization)[A-Za-z0-9_.-]*)["']?[ \t]*(?:=|:=|=>|:)[ \t]*(?:["'`][ \t]*)?(?:(?:bearer|basic|token)[ \t]+)?(?<value>[^\s"'`,;(){}[\]<>]{1,512})/gi,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows the `${VAR}` placeholder syntax
        why: 'A value assigned to a secret-sounding key on one line (`password=`, `secret:`, `api_key:`, `"token": "…"`, `Authorization: Bearer …`, `client_secret =`) when the value looks random: at least 8 characters, two character classes, entropy ≥ 3 bits per character. Written `<PASSWORD>` for password keys, `<SECRET>` otherwise. Kept: placeholders, references (`$VAR`, `${VAR}`, paths, URLs), numbers, identifiers and code (`secretName: etcd-client-tls`, `password = getpass.getpass(`), keys naming something else (`*_file`, `*_name`, `*_url`, `*_id`, `*Ref`), and base64 that decodes to a placeholder (a Kubernetes Secret\'s `YWRtaW4=`, "admin").',
        replace: (m) => {
          let start = m.offset;
          while (start > 0 && KEY_CHAR.test(m.text[start - 1]!)) start -= 1;
          const key = m.text.slice(start, m.offset) + m.groups.key!;
          if (NOT_A_SECRET_KEY.test(key)) return undefined;
          const value = m.groups.value!;
          if (m.text[m.offset + m.match.length] === '(') return undefined;
          if (!looksLikeSecret(value, m.secretShape)) return undefined;
          return replaceValue(m, /pass|pwd/i.test(key) ? 'PASSWORD' : 'SECRET');
        },
      },
      {
        name: 'email',
        placeholder: 'EMAIL',
        pattern:
          /(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
        why: 'A personal email address. Kept: example and special-use domains (example.com/.org/.net, .test, .invalid, .localhost, .local, .internal), mailing lists (googlegroups.com, groups.io, lists.*), role and list addresses (security@, support@, noreply@, prometheus-team@, *-developers@) and `git@host` SSH remotes. GitHub noreply addresses (123+user@users.noreply.github.com) name a person and are replaced.',
        prefilter: (text) => text.includes('@'),
        replace: (m) => (isPublishableEmail(m.match) ? undefined : tag('EMAIL')),
      },
      {
        name: 'ipv4',
        placeholder: 'IP_ADDRESS',
        pattern:
          /(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?!\w|\.\d)/g,
        why: 'A public IPv4 address. Kept: loopback, private (10/8, 172.16/12, 192.168/16), unspecified, link-local, shared (100.64/10), documentation (192.0.2/24, 198.51.100/24, 203.0.113/24), benchmarking, multicast and reserved ranges; the tutorial dummies 1.2.3.x and 5.6.7.x; public resolvers (8.8.8.8, 1.1.1.1, 9.9.9.9, …); and four-part version numbers (`v1.2.3.4`, `version 2.14.0.1`, `release is 2.4.1.2`).',
        replace: (m) => {
          if (isPublishableIPv4(m.match)) return undefined;
          const before = m.text.slice(Math.max(0, m.offset - 24), m.offset);
          return VERSION_CONTEXT.test(before) ? undefined : tag('IP_ADDRESS');
        },
      },
      {
        name: 'ipv6',
        placeholder: 'IP_ADDRESS',
        pattern:
          /(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}(?![\w:]|\.\d)/g,
        why: 'A public IPv6 address (at least three groups written, so `Type::method` in code never matches). Kept: ::, ::1, IPv4-mapped, link-local (fe80::/10), unique-local (fc00::/7), multicast and the documentation prefixes 2001:db8::/32 and 3fff::/20.',
        // Two colons at most four hex digits apart: rare outside addresses, times and `::` in code.
        prefilter: (text) => /:[0-9A-Fa-f]{0,4}:/.test(text),
        replace: (m) =>
          isIPv6Address(m.match) && !isPublishableIPv6(m.match) ? tag('IP_ADDRESS') : undefined,
      },
      {
        name: 'phone',
        placeholder: 'PHONE',
        pattern:
          /(?:\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,4}){2,5}|\(\d{3}\)[ ]?\d{3}-\d{4}|\b\d{3}([.-])\d{3}\1\d{4})(?![\w-])/g,
        why: 'A phone number in international form (+44 20 3946 0123) or North American form ((415) 555-2671, 415-555-2671). Kept: numbers that cannot be NANP numbers (area or exchange code starting 0 or 1, as in 123-456-7890 and 098-765-4321), the fictional 555-0100…0199 range, the Ofcom drama ranges, and anything with fewer than 8 or more than 15 digits.',
        prefilter: (text) => /\d{3}/.test(text),
        replace: (m) => {
          const before = m.offset === 0 ? '' : m.text[m.offset - 1]!;
          if (/[\w+.]/.test(before)) return undefined;
          return isPhoneNumber(m.match) ? tag('PHONE') : undefined;
        },
      },
      {
        name: 'phone-labelled',
        placeholder: 'PHONE',
        pattern:
          /\b(?:phone|tel|telephone|mobile|fax)(?:[ \t]*(?:number|no\.?|#))?[ \t]*[:=]?[ \t]*["']?(?<value>0\d{1,4}(?:[ .-]?\d{2,4}){2,4})(?![\w-])/gi,
        why: 'A national phone number (0…) after a label (`phone:`, `tel`, `mobile =`, `fax #`), which is how numbers without a country code are told from other digits. The same exceptions as `phone`.',
        // Case variants by hand: lower-casing a whole page costs more than the scan it would save.
        prefilter: (text) => LABEL_HINTS.some((hint) => text.includes(hint)),
        replace: (m) => (isPhoneNumber(m.groups.value!) ? replaceValue(m, 'PHONE') : undefined),
      },
    ] satisfies ScrubRule[]
  ).map((rule): ScrubRule => Object.freeze(rule)),
);

/** Whether a phone-shaped match can be a real number (see the `phone` rule for what is kept). */
function isPhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 8 || digits.length > 15) return false;
  let national: string | undefined;
  if (candidate.startsWith('+1')) national = digits.slice(1);
  else if (/^\(?\d{3}\)?[ .-]?\d{3}[.-]\d{4}$/.test(candidate)) national = digits;
  if (national !== undefined) {
    if (national.length !== 10 || !/^[2-9]\d\d[2-9]/.test(national)) return false;
    if (/^\d{3}55501\d\d$/.test(national)) return false;
  }
  return !/(?:^44|^0)(?:2079460\d{3}|7700900\d{3})$/.test(digits);
}

// "version 2.14.0.1", "release is 2.4.1.2", "ver. 1.0.0.2": four-part version numbers.
const VERSION_CONTEXT = /\b(?:version|release|ver\.?)(?:\s+(?:is|was|of|to|from|at))?[\s:=]*$/i;

const LABEL_HINTS = ['hone', 'HONE', 'tel', 'Tel', 'TEL', 'obile', 'OBILE', 'fax', 'Fax', 'FAX'];

const KEY_CHAR = /[A-Za-z0-9_.-]/;

// Keys that name a secret's location, kind or metadata rather than hold it.
const NOT_A_SECRET_KEY =
  /(?:file|path|dir|name|ref|url|uri|id|ids|type|types|length|len|size|ttl|format|mode|header|field|count|enabled|expiry|expires|expiration|timeout|policy|version|tokens|limit|secrets|prefix|suffix|endpoint|hash|algorithm|method|provider|source|store|env)$/i;
