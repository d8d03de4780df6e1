import { z } from 'zod';
import { CorpusError } from '../errors.js';
import type { SecretShape } from './judge.js';
import { type RuleMatch, SCRUB_RULES, type ScrubRule } from './scrub-rules.js';

/** Options of {@link scrubText}. */
export const ScrubOptionsSchema = z
  .object({
    /**
     * Rule names (see `SCRUB_RULES`) to skip, e.g. `['phone']`.
     * @default []
     */
    disable: z.array(z.string()).default([]),
    /**
     * Exact matched strings never replaced: a project's published contact address, a public
     * endpoint the rules would take for personal data.
     * @default []
     */
    allow: z.array(z.string()).default([]),
    /**
     * Shortest value the `secret-assignment` rule replaces after `password=`, `api_key:` and the
     * like.
     * @default 8
     */
    minSecretLength: z.number().int().positive().default(8),
    /**
     * Least Shannon entropy (bits per character) such a value needs to be taken for a secret.
     * @default 3
     */
    minSecretEntropy: z.number().nonnegative().default(3),
  })
  .strict();

/** Options of {@link scrubText}, as given. */
export type ScrubOptions = z.input<typeof ScrubOptionsSchema>;

/** The scrubbed text and how many replacements of each placeholder type were made. */
export interface ScrubResult {
  text: string;
  /** Replacements per placeholder type (`EMAIL`, `GITHUB_TOKEN`, …); types with none are absent. */
  counts: Record<string, number>;
}

interface ResolvedScrub {
  rules: readonly ScrubRule[];
  allow: ReadonlySet<string>;
  secretShape: SecretShape;
}

const resolvedCache = new WeakMap<object, ResolvedScrub>();
let defaults: ResolvedScrub | undefined;

function resolve(options: ScrubOptions | undefined): ResolvedScrub {
  if (options === undefined) {
    defaults ??= build(ScrubOptionsSchema.parse({}));
    return defaults;
  }
  const cached = resolvedCache.get(options);
  if (cached !== undefined) return cached;
  const parsed = ScrubOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new CorpusError(
      'invalid-options',
      `Scrub options are invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}. Fix them or leave them out for the defaults.`,
      { cause: parsed.error },
    );
  }
  const resolved = build(parsed.data);
  resolvedCache.set(options, resolved);
  return resolved;
}

function build(options: z.output<typeof ScrubOptionsSchema>): ResolvedScrub {
  const names = new Set(SCRUB_RULES.map((rule) => rule.name));
  const unknown = options.disable.filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new CorpusError(
      'invalid-options',
      `Scrub options disable unknown rules ${unknown.join(', ')}; known rules are ${[...names].join(', ')}.`,
    );
  }
  const disabled = new Set(options.disable);
  return {
    rules: SCRUB_RULES.filter((rule) => !disabled.has(rule.name)),
    allow: new Set(options.allow),
    secretShape: { minLength: options.minSecretLength, minEntropy: options.minSecretEntropy },
  };
}

/**
 * Replaces personal data and secrets in `text` with typed placeholders (`<EMAIL>`,
 * `<GITHUB_TOKEN>`, `<PRIVATE_KEY>`, …) and counts them. Ordinary documentation is left alone:
 * loopback, private and documentation addresses, example domains, placeholder values in config
 * snippets, digests and UUIDs. The rules and what each keeps are in `SCRUB_RULES`. Scrubbing is
 * idempotent: placeholders are never matched again.
 *
 * @example
 * const { text, counts } = scrubText('export GITHUB_TOKEN=ghp_…');
 * // text: 'export GITHUB_TOKEN=<GITHUB_TOKEN>', counts: { GITHUB_TOKEN: 1 }
 * @throws {CorpusError} `invalid-options` for invalid options or an unknown rule name.
 */
export function scrubText(text: string, options?: ScrubOptions): ScrubResult {
  const { rules, allow, secretShape } = resolve(options);
  const counts: Record<string, number> = {};
  let current = text;

  for (const rule of rules) {
    if (rule.prefilter !== undefined && !rule.prefilter(current)) continue;
    let changed = false;
    const source = current;
    const next = source.replace(rule.pattern, (...args: unknown[]) => {
      const match = args[0] as string;
      if (allow.has(match)) return match;
      const last = args[args.length - 1];
      const hasGroups = typeof last === 'object' && last !== null;
      const offset = args[args.length - (hasGroups ? 3 : 2)] as number;
      const m: RuleMatch = {
        match,
        groups: hasGroups ? (last as Record<string, string | undefined>) : {},
        text: source,
        offset,
        secretShape,
      };
      const replacement = rule.replace(m);
      if (
        replacement === undefined ||
        (m.groups.value !== undefined && allow.has(m.groups.value))
      ) {
        return match;
      }
      counts[replacement.type] = (counts[replacement.type] ?? 0) + 1;
      changed = true;
      return replacement.text;
    });
    if (changed) current = next;
  }
  return { text: current, counts };
}
