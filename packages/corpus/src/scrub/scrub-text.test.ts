import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCorpusError } from '../errors.js';
import { SCRUB_RULES } from './scrub-rules.js';
import { ScrubStats } from './scrub-stats.js';
import { scrubText } from './scrub-text.js';

const FixtureDocumentSchema = z.object({ url: z.string(), markdown: z.string() });

const documents = readFileSync(
  fileURLToPath(new URL('../../test/fixtures/documents/documents.jsonl', import.meta.url)),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => FixtureDocumentSchema.parse(JSON.parse(line)));

const negatives = readFileSync(
  fileURLToPath(new URL('../../test/fixtures/scrub/negatives.md', import.meta.url)),
  'utf8',
);

// ---------------------------------------------------------------------------------------------
// Fake secrets and personal data, built at runtime from a seeded generator. Prefixes are split
// ('gh' + 'p_') so no source file holds a string in a live credential format.

/** mulberry32: small, seeded, good enough to make test data reproducible. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const chars = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[int(0, alphabet.length - 1)]).join('');
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(0, 255)));
  return { next, int, pick, chars, bytes };
}
type Random = ReturnType<typeof createRandom>;

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;

/** Random characters with every class of the alphabet (upper, lower, digit) present, as in real tokens. */
function mixed(r: Random, length: number, alphabet = ALNUM): string {
  const classes = [/[A-Z]/, /[a-z]/, /\d/].filter((pattern) => pattern.test(alphabet));
  for (;;) {
    const value = r.chars(alphabet, length);
    if (classes.every((pattern) => pattern.test(value))) return value;
  }
}

function pem(r: Random, kind: string): string {
  const body = r.bytes(r.int(300, 900)).toString('base64');
  const lines = body.match(/.{1,64}/g)!.join('\n');
  const label = kind === '' ? 'PRIVATE KEY' : `${kind} PRIVATE KEY`;
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----`;
}

function password(r: Random): string {
  return mixed(r, r.int(14, 24), `${ALNUM}-_.!~`);
}

function publicIPv4(r: Random): string {
  return `${r.pick([23, 34, 52, 81, 91, 104, 151, 185, 212])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

function publicIPv6(r: Random): string {
  const group = () => r.int(1, 0xffff).toString(16);
  return `${r.pick(['2a01:4f8', '2606:4700', '2a00:1450', '2604:a880'])}:${group()}:${group()}::${group()}`;
}

const FIRST = ['jane', 'arjun', 'mei', 'lukas', 'fatima', 'diego', 'olga', 'kwame'];
const LAST = ['roe', 'patel', 'chen', 'novak', 'haddad', 'silva', 'ivanova', 'mensah'];

function personalEmail(r: Random): string {
  const style = r.int(0, 2);
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  if (style === 0) return `${first}.${last}@${r.pick(['gmail.com', 'proton.me', 'outlook.com'])}`;
  if (style === 1) return `${first}${r.int(10, 99)}@${r.pick(['acme-corp.io', 'initech.de'])}`;
  return `${r.int(100000, 9999999)}+${first}${last}@users.noreply.github.com`;
}

function jwt(r: Random): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = part({ alg: r.pick(['HS256', 'RS256']), typ: 'JWT' });
  const payload = part({
    sub: r.chars(DIGITS, 10),
    name: `${r.pick(FIRST)} ${r.pick(LAST)}`,
    iat: r.int(1_600_000_000, 1_800_000_000),
  });
  return `${header}.${payload}.${r.bytes(32).toString('base64url')}`;
}

/** One planted item: the snippet as written, as it must read after scrubbing, and its secrets. */
interface Plant {
  kind: string;
  snippet: string;
  expected: string;
  counts: Record<string, number>;
  /** Every raw value that must not survive scrubbing. */
  secrets: string[];
}

type Carrier = (r: Random) => Plant;

const CARRIERS: Carrier[] = [
  (r) => {
    const id = `${r.pick(['AK', 'AS'])}IA${r.chars(`${UPPER}234567`, 16)}`;
    const secret = r.chars(`${ALNUM}/+`, 40);
    return {
      kind: 'aws env',
      snippet: `export AWS_ACCESS_KEY_ID=${id}\nexport AWS_SECRET_ACCESS_KEY=${secret}`,
      expected:
        'export AWS_ACCESS_KEY_ID=<AWS_ACCESS_KEY_ID>\nexport AWS_SECRET_ACCESS_KEY=<AWS_SECRET_ACCESS_KEY>',
      counts: { AWS_ACCESS_KEY_ID: 1, AWS_SECRET_ACCESS_KEY: 1 },
      secrets: [id, secret],
    };
  },
  (r) => {
    const id = `AK${'IA'}${r.chars(`${UPPER}234567`, 16)}`;
    const secret = r.chars(`${ALNUM}/+`, 40);
    return {
      kind: 'aws credentials file',
      snippet: `\`\`\`ini\n[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\nregion = eu-west-1\n\`\`\``,
      expected:
        '```ini\n[default]\naws_access_key_id = <AWS_ACCESS_KEY_ID>\naws_secret_access_key = <AWS_SECRET_ACCESS_KEY>\nregion = eu-west-1\n```',
      counts: { AWS_ACCESS_KEY_ID: 1, AWS_SECRET_ACCESS_KEY: 1 },
      secrets: [id, secret],
    };
  },
  (r) => {
    const token = `gh${r.pick(['p', 'o', 's', 'u'])}_${mixed(r, 36)}`;
    return {
      kind: 'github token in a clone URL',
      snippet: `git clone https://x-access-token:${token}@github.com/acme/deploy-tools.git`,
      expected: 'git clone https://x-access-token:<GITHUB_TOKEN>@github.com/acme/deploy-tools.git',
      counts: { GITHUB_TOKEN: 1 },
      secrets: [token],
    };
  },
  (r) => {
    const token = `github${'_pat_'}${mixed(r, 22)}_${mixed(r, 59)}`;
    return {
      kind: 'github fine-grained token',
      snippet: `Set \`GITHUB_TOKEN=${token}\` in the runner environment before the release job runs.`,
      expected:
        'Set `GITHUB_TOKEN=<GITHUB_TOKEN>` in the runner environment before the release job runs.',
      counts: { GITHUB_TOKEN: 1 },
      secrets: [token],
    };
  },
  (r) => {
    const token = `gl${'pat-'}${r.chars(`${ALNUM}_-`, 20)}`;
    return {
      kind: 'gitlab token',
      snippet: `git remote set-url origin https://oauth2:${token}@gitlab.com/acme/etcd-operator.git`,
      expected:
        'git remote set-url origin https://oauth2:<GITLAB_TOKEN>@gitlab.com/acme/etcd-operator.git',
      counts: { GITLAB_TOKEN: 1 },
      secrets: [token],
    };
  },
  (r) => {
    const token = `xo${'xb'}-${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 13)}-${mixed(r, 24)}`;
    return {
      kind: 'slack bot token',
      snippet: `SLACK_BOT_TOKEN=${token}`,
      expected: 'SLACK_BOT_TOKEN=<SLACK_TOKEN>',
      counts: { SLACK_TOKEN: 1 },
      secrets: [token],
    };
  },
  (r) => {
    const hook = `https://hooks.slack.com/services/T${r.chars(UPPER + DIGITS, 8)}/B${r.chars(UPPER + DIGITS, 10)}/${mixed(r, 24)}`;
    return {
      kind: 'slack webhook in alertmanager.yml',
      snippet: `\`\`\`yaml\nreceivers:\n  - name: team-etcd\n    slack_configs:\n      - api_url: '${hook}'\n        channel: '#etcd-alerts'\n\`\`\``,
      expected:
        "```yaml\nreceivers:\n  - name: team-etcd\n    slack_configs:\n      - api_url: '<SLACK_WEBHOOK>'\n        channel: '#etcd-alerts'\n```",
      counts: { SLACK_WEBHOOK: 1 },
      secrets: [hook],
    };
  },
  (r) => {
    const key = `${r.pick(['sk', 'rk'])}_${r.pick(['live', 'test'])}_${mixed(r, r.int(24, 99))}`;
    return {
      kind: 'stripe key',
      snippet: `const stripe = require('stripe')('${key}');`,
      expected: "const stripe = require('stripe')('<STRIPE_KEY>');",
      counts: { STRIPE_KEY: 1 },
      secrets: [key],
    };
  },
  (r) => {
    const key = `AI${'za'}${mixed(r, 35, `${ALNUM}_-`)}`;
    return {
      kind: 'google api key in a URL',
      snippet: `<script src="https://maps.googleapis.com/maps/api/js?key=${key}&callback=initMap"></script>`,
      expected:
        '<script src="https://maps.googleapis.com/maps/api/js?key=<GOOGLE_API_KEY>&callback=initMap"></script>',
      counts: { GOOGLE_API_KEY: 1 },
      secrets: [key],
    };
  },
  (r) => {
    const key = r.pick([
      () => `sk-${'proj'}-${mixed(r, 64, `${ALNUM}_-`)}`,
      () => `sk-${mixed(r, 20)}${'T3Blbk'}FJ${mixed(r, 20)}`,
    ])();
    return {
      kind: 'openai key',
      snippet: `client = OpenAI(api_key="${key}")`,
      expected: 'client = OpenAI(api_key="<OPENAI_API_KEY>")',
      counts: { OPENAI_API_KEY: 1 },
      secrets: [key],
    };
  },
  (r) => {
    const key = `sk-${'ant'}-api03-${mixed(r, 93, `${ALNUM}_-`)}AA`;
    return {
      kind: 'anthropic key',
      snippet: `ANTHROPIC_API_KEY=${key} python evaluate.py`,
      expected: 'ANTHROPIC_API_KEY=<ANTHROPIC_API_KEY> python evaluate.py',
      counts: { ANTHROPIC_API_KEY: 1 },
      secrets: [key],
    };
  },
  (r) => {
    const token = `hf${'_'}${mixed(r, 34, UPPER + LOWER)}`;
    return {
      kind: 'hugging face token',
      snippet: `huggingface-cli login --token ${token}`,
      expected: 'huggingface-cli login --token <HF_TOKEN>',
      counts: { HF_TOKEN: 1 },
      secrets: [token],
    };
  },
  (r) => {
    const token = `np${'m_'}${mixed(r, 36)}`;
    return {
      kind: 'npm token in .npmrc',
      snippet: `//registry.npmjs.org/:_authToken=${token}`,
      expected: '//registry.npmjs.org/:_authToken=<NPM_TOKEN>',
      counts: { NPM_TOKEN: 1 },
      secrets: [token],
    };
  },
  (r) => {
    const token = jwt(r);
    return {
      kind: 'jwt bearer header',
      snippet: `curl -H "Authorization: Bearer ${token}" https://api.acme-corp.io/v1/jobs`,
      expected: 'curl -H "Authorization: Bearer <JWT>" https://api.acme-corp.io/v1/jobs',
      counts: { JWT: 1 },
      secrets: [token],
    };
  },
  (r) => {
    const key = pem(r, r.pick(['RSA', 'EC', 'OPENSSH', '', 'ENCRYPTED']));
    return {
      kind: 'pem private key',
      snippet: `Save the key the CA gave you as \`client.key\`:\n\n\`\`\`\n${key}\n\`\`\``,
      expected: 'Save the key the CA gave you as `client.key`:\n\n```\n<PRIVATE_KEY>\n```',
      counts: { PRIVATE_KEY: 1 },
      secrets: [key, key.split('\n')[2]!],
    };
  },
  (r) => {
    const key = pem(r, '').replaceAll('\n', '\\n');
    const email = `ci-deployer@acme-prod-${r.int(100, 999)}.iam.gserviceaccount.com`;
    const keyId = r.chars('0123456789abcdef', 40);
    return {
      kind: 'service account json',
      snippet: `\`\`\`json\n{"type": "service_account", "private_key_id": "${keyId}", "private_key": "${key}\\n", "client_email": "${email}"}\n\`\`\``,
      expected: `\`\`\`json\n{"type": "service_account", "private_key_id": "${keyId}", "private_key": "<PRIVATE_KEY>\\n", "client_email": "<EMAIL>"}\n\`\`\``,
      counts: { PRIVATE_KEY: 1, EMAIL: 1 },
      secrets: [key.slice(40, 120), email],
    };
  },
  (r) => {
    const dbPassword = password(r);
    const tlsKey = Buffer.from(pem(r, 'RSA')).toString('base64');
    const encoded = Buffer.from(dbPassword).toString('base64');
    return {
      kind: 'kubernetes secret',
      snippet: `\`\`\`yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\ntype: Opaque\ndata:\n  username: YWRtaW4=\n  password: ${encoded}\n  tls.key: ${tlsKey}\n\`\`\``,
      expected:
        '```yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\ntype: Opaque\ndata:\n  username: YWRtaW4=\n  password: <PASSWORD>\n  tls.key: <PRIVATE_KEY>\n```',
      counts: { PASSWORD: 1, PRIVATE_KEY: 1 },
      secrets: [encoded, tlsKey],
    };
  },
  (r) => {
    const secret = password(r);
    const scheme = r.pick(['postgres', 'mongodb+srv', 'redis', 'amqps', 'https']);
    return {
      kind: 'credentials in a URL',
      snippet: `DATABASE_URL=${scheme}://orders_app:${secret}@db.prod.acme-corp.io:5432/orders`,
      expected: `DATABASE_URL=${scheme}://orders_app:<PASSWORD>@db.prod.acme-corp.io:5432/orders`,
      counts: { PASSWORD: 1 },
      secrets: [secret],
    };
  },
  (r) => {
    const secret = password(r);
    const line = r.pick([
      (v: string) => [`password: ${v}`, 'password: <PASSWORD>'],
      (v: string) => [`DB_PASSWORD="${v}"`, 'DB_PASSWORD="<PASSWORD>"'],
      (v: string) => [
        `etcdctl --user root --password=${v} user list`,
        'etcdctl --user root --password=<PASSWORD> user list',
      ],
      (v: string) => [`"adminPassword": "${v}",`, '"adminPassword": "<PASSWORD>",'],
    ])(secret);
    return {
      kind: 'password assignment',
      snippet: line[0]!,
      expected: line[1]!,
      counts: { PASSWORD: 1 },
      secrets: [secret],
    };
  },
  (r) => {
    const secret = r.pick([
      () => r.chars('0123456789abcdef', 32),
      () => mixed(r, 40, `${ALNUM}_-`),
    ])();
    const line = r.pick([
      (v: string) => [`client_secret = "${v}"`, 'client_secret = "<SECRET>"'],
      (v: string) => [`"api_key": "${v}"`, '"api_key": "<SECRET>"'],
      (v: string) => [`export DATADOG_API_KEY=${v}`, 'export DATADOG_API_KEY=<SECRET>'],
      (v: string) => [`webhook_secret: '${v}'`, "webhook_secret: '<SECRET>'"],
      (v: string) => [
        `curl -H "Authorization: Bearer ${v}" https://grafana.acme-corp.io/api/dashboards`,
        'curl -H "Authorization: Bearer <SECRET>" https://grafana.acme-corp.io/api/dashboards',
      ],
    ])(secret);
    return {
      kind: 'secret assignment',
      snippet: line[0]!,
      expected: line[1]!,
      counts: { SECRET: 1 },
      secrets: [secret],
    };
  },
  (r) => {
    const email = personalEmail(r);
    const name = `${r.pick(FIRST)} ${r.pick(LAST)}`;
    const line = r.pick([
      (v: string) => [`Signed-off-by: ${name} <${v}>`, `Signed-off-by: ${name} <<EMAIL>>`],
      (v: string) => [
        `For access to the staging cluster, write to ${v} with your team name.`,
        'For access to the staging cluster, write to <EMAIL> with your team name.',
      ],
      (v: string) => [`- [${name}](mailto:${v})`, `- [${name}](mailto:<EMAIL>)`],
    ])(email);
    return {
      kind: 'email',
      snippet: line[0]!,
      expected: line[1]!,
      counts: { EMAIL: 1 },
      secrets: [email],
    };
  },
  (r) => {
    const ip = publicIPv4(r);
    const line = r.pick([
      (v: string) => [
        `The production API answers on ${v}:8443.`,
        'The production API answers on <IP_ADDRESS>:8443.',
      ],
      (v: string) => [
        `ssh ubuntu@${v} 'sudo systemctl restart etcd'`,
        "ssh ubuntu@<IP_ADDRESS> 'sudo systemctl restart etcd'",
      ],
      (v: string) => [`  - targets: ['${v}:9100']`, "  - targets: ['<IP_ADDRESS>:9100']"],
    ])(ip);
    return {
      kind: 'public ipv4',
      snippet: line[0]!,
      expected: line[1]!,
      counts: { IP_ADDRESS: 1 },
      secrets: [ip],
    };
  },
  (r) => {
    const ip = publicIPv6(r);
    return {
      kind: 'public ipv6',
      snippet: `curl -6 http://[${ip}]:9090/metrics`,
      expected: 'curl -6 http://[<IP_ADDRESS>]:9090/metrics',
      counts: { IP_ADDRESS: 1 },
      secrets: [ip],
    };
  },
  (r) => {
    const phone = r.pick([
      () => `+44 20 ${r.int(3000, 8999)} ${r.int(1000, 9999)}`,
      () => `+1 (${r.int(201, 989)}) ${r.int(200, 999)}-${r.int(2000, 9999)}`,
      () => `${r.int(201, 989)}-${r.int(200, 999)}-${r.int(2000, 9999)}`,
      () => `+49 30 ${r.int(1000000, 9999999)}`,
    ])();
    return {
      kind: 'phone',
      snippet: `Escalations go to the on-call engineer at ${phone}, any time.`,
      expected: 'Escalations go to the on-call engineer at <PHONE>, any time.',
      counts: { PHONE: 1 },
      secrets: [phone],
    };
  },
  (r) => {
    const phone = `0${r.int(30, 89)} ${r.int(1000, 9999)} ${r.int(1000, 9999)}`;
    return {
      kind: 'labelled national phone',
      snippet: `Tel: ${phone}`,
      expected: 'Tel: <PHONE>',
      counts: { PHONE: 1 },
      secrets: [phone],
    };
  },
];

interface Planted {
  url: string;
  original: string;
  text: string;
  expected: string;
  counts: Record<string, number>;
  plants: Plant[];
}

/** Inserts plants at paragraph boundaries of a real page; the expectation is built piecewise. */
function plant(r: Random, url: string, original: string, count: number): Planted {
  const boundaries: number[] = [];
  for (let at = original.indexOf('\n\n'); at !== -1; at = original.indexOf('\n\n', at + 2)) {
    boundaries.push(at);
  }
  const positions = Array.from({ length: count }, () =>
    boundaries.length === 0 ? original.length : r.pick(boundaries),
  ).sort((a, b) => a - b);
  const plants: Plant[] = [];
  let text = '';
  let expected = '';
  const counts: Record<string, number> = {};
  let previous = 0;
  for (const position of positions) {
    const segment = original.slice(previous, position);
    const scrubbed = scrubText(segment);
    addCounts(counts, scrubbed.counts);
    const item = r.pick(CARRIERS)(r);
    plants.push(item);
    addCounts(counts, item.counts);
    text += `${segment}\n\n${item.snippet}\n\n`;
    expected += `${scrubbed.text}\n\n${item.expected}\n\n`;
    previous = position;
  }
  const tail = scrubText(original.slice(previous));
  addCounts(counts, tail.counts);
  text += original.slice(previous);
  expected += tail.text;
  return { url, original, text, expected, counts, plants };
}

function addCounts(into: Record<string, number>, from: Record<string, number>) {
  for (const [type, count] of Object.entries(from)) into[type] = (into[type] ?? 0) + count;
}

// ---------------------------------------------------------------------------------------------

describe('scrubText on fake secrets and PII planted in real documentation', () => {
  // SCRUB_SEED lets a developer sweep other seeds; CI uses the fixed one.
  const random = createRandom(Number(process.env.SCRUB_SEED ?? 20_241_125));
  const planted = documents.map((doc) => plant(random, doc.url, doc.markdown, random.int(1, 3)));
  const plants = planted.flatMap((page) => page.plants);

  it('plants every kind of item many times', () => {
    const kinds = new Map<string, number>();
    for (const item of plants) kinds.set(item.kind, (kinds.get(item.kind) ?? 0) + 1);
    console.log(`planted ${plants.length} items:`, Object.fromEntries(kinds));
    expect(kinds.size).toBe(CARRIERS.length);
    for (const count of kinds.values()) expect(count).toBeGreaterThanOrEqual(5);
  });

  it('removes 100% of planted items, with the right placeholders, exact counts and nothing else changed', () => {
    let removed = 0;
    let total = 0;
    const totals: Record<string, number> = {};
    const stats = new ScrubStats();
    const other = new ScrubStats();
    for (const page of planted) {
      const result = scrubText(page.text);
      for (const item of page.plants) {
        for (const secret of item.secrets) {
          total += 1;
          if (!result.text.includes(secret)) removed += 1;
          else console.log(`survived in ${page.url} (${item.kind}): ${secret.slice(0, 12)}…`);
        }
      }
      expect(result.text, page.url).toBe(page.expected);
      expect(result.counts, page.url).toEqual(page.counts);
      addCounts(totals, result.counts);
      (stats.toJSON().documents % 2 === 0 ? stats : other).add(result);
    }
    console.log(`removed ${removed}/${total} planted values; replacements by type:`, totals);
    expect(removed).toBe(total);
    stats.merge(other);
    const report = stats.toJSON();
    expect(report.documents).toBe(planted.length);
    expect(report.documentsChanged).toBe(planted.length);
    expect(report.replacements).toEqual(totals);
    expect(Object.keys(report.replacements)).toEqual(Object.keys(totals).sort());
  });

  it('is idempotent: scrubbed text scrubs to itself with no counts', () => {
    for (const page of planted.slice(0, 40)) {
      const once = scrubText(page.text).text;
      expect(scrubText(once)).toEqual({ text: once, counts: {} });
    }
  });
});

/**
 * The only changes scrubbing makes to the 166 real documents, each justified:
 * - etcd's gRPC-gateway guide prints the simple-auth token its example cluster returned
 *   (`"token":"sssv…"` and `Authorization: sssv…`). It is an example, but a live token has the same
 *   shape; the secret-assignment rule replaces both.
 * - etcd's transactional-write task stores `old.address@…` / `new.address@…` at johndoe.com, a
 *   registrable domain: real-looking personal addresses, replaced (five occurrences, the mailto link
 *   counting twice).
 */
const EXPECTED_REAL_CHANGES: Record<string, Record<string, number>> = {
  'https://etcd.io/docs/v3.6/dev-guide/api_grpc_gateway/': { SECRET: 2 },
  'https://etcd.io/docs/v3.6/tasks/developer/how-to-transactional-write/': { EMAIL: 5 },
};

describe('scrubText on the real documents', () => {
  it('changes nothing but the two justified pages', () => {
    const changed: Record<string, Record<string, number>> = {};
    for (const doc of documents) {
      const result = scrubText(doc.markdown);
      if (result.text === doc.markdown) {
        expect(result.counts, doc.url).toEqual({});
        continue;
      }
      changed[doc.url] = result.counts;
      const before = doc.markdown.split('\n');
      const after = result.text.split('\n');
      expect(after.length).toBe(before.length);
      for (const [index, line] of before.entries()) {
        if (line !== after[index]) console.log(`${doc.url}\n  - ${line}\n  + ${after[index]}`);
      }
    }
    expect(changed).toEqual(EXPECTED_REAL_CHANGES);
  });

  it('keeps the example addresses, placeholders and hashes real docs are full of', () => {
    const all = documents.map((doc) => scrubText(doc.markdown).text).join('\n');
    for (const kept of [
      'http://127.0.0.1:2379',
      '0.0.0.0',
      '10.0.1.10',
      '192.168.1.21',
      '[::1]:2380',
      '1.2.3.4',
      '5.6.7.8:5670',
      '254.0.0.1',
      'prometheus-team@googlegroups.com',
      'TOKEN=my-etcd-token',
      'secretName: etcd-client-tls',
      '$2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay',
      '"password": "pass"',
      '"123-456-7890"',
      '"098-765-4321"',
    ]) {
      expect(all, kept).toContain(kept);
    }
  });

  it('leaves the hand-written negatives page byte for byte unchanged', () => {
    expect(scrubText(negatives)).toEqual({ text: negatives, counts: {} });
  });

  it("leaves AWS's documentation keys and placeholder token bodies alone", () => {
    const text = [
      `aws_access_key_id = AK${'IA'}IOSFODNN7EXAMPLE`,
      `aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY${'EXAMPLE'}KEY`,
      `GITHUB_TOKEN=gh${'p_'}${'x'.repeat(36)}`,
      `token: gl${'pat-'}${'X'.repeat(20)}`,
      `SLACK_TOKEN=xo${'xb'}-your-bot-token-here`,
      `api_url: https://hooks.slack.com/services/T00000000/B00000000/${'X'.repeat(24)}`,
      `OPENAI_API_KEY=sk-${'x'.repeat(48)}`,
      `HF_TOKEN=hf${'_'}${'x'.repeat(34)}`,
      `Publishable: pk${'_live_'}${'a1B2c3D4'.repeat(3)}`,
    ].join('\n');
    expect(scrubText(text)).toEqual({ text, counts: {} });
  });

  it('leaves a private key shown the way docs show it: header, a few characters, an ellipsis', () => {
    const label = `RSA ${'PRIVATE'} KEY`;
    const text = `\`\`\`\n-----BEGIN ${label}-----\nMIIEpAIBAAKCAQEA...\n-----END ${label}-----\n\`\`\``;
    expect(scrubText(text)).toEqual({ text, counts: {} });
  });
});

describe('scrubText options', () => {
  const email = 'Mail arjun.patel@proton.me or call +44 20 3946 1234.';

  it('skips disabled rules', () => {
    expect(scrubText(email).counts).toEqual({ EMAIL: 1, PHONE: 1 });
    expect(scrubText(email, { disable: ['phone'] })).toEqual({
      text: 'Mail <EMAIL> or call +44 20 3946 1234.',
      counts: { EMAIL: 1 },
    });
  });

  it('never replaces allowed values', () => {
    expect(scrubText(email, { allow: ['arjun.patel@proton.me'] })).toEqual({
      text: 'Mail arjun.patel@proton.me or call <PHONE>.',
      counts: { PHONE: 1 },
    });
  });

  it('honours the secret shape thresholds', () => {
    const line = 'password: Qz8-vLm2';
    expect(scrubText(line).text).toBe('password: <PASSWORD>');
    expect(scrubText(line, { minSecretLength: 12 }).text).toBe(line);
    expect(scrubText(line, { minSecretEntropy: 3.5 }).text).toBe(line);
  });

  it('rejects unknown rules and invalid options with a CorpusError', () => {
    for (const options of [{ disable: ['no-such-rule'] }, { minSecretLength: 0 }, { extra: 1 }]) {
      try {
        scrubText('x', options as never);
        expect.unreachable();
      } catch (error) {
        expect(isCorpusError(error, 'invalid-options')).toBe(true);
      }
    }
  });
});

describe('SCRUB_RULES', () => {
  it('documents every rule: unique name, typed placeholder, global pattern, a reason', () => {
    const names = SCRUB_RULES.map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of SCRUB_RULES) {
      expect(rule.placeholder).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(rule.pattern.global).toBe(true);
      expect(rule.why.length).toBeGreaterThan(40);
    }
  });
});
