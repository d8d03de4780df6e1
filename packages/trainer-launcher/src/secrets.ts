/**
 * Environment variables that hold credentials. Their values are passed to jobs by reference only
 * (exported from the submitting shell to Slurm, a Secret reference on Kubernetes) and are never
 * written into a rendered script, manifest, log line or error.
 */
export const SECRET_ENV_NAMES = [
  'HF_TOKEN',
  'HUGGING_FACE_HUB_TOKEN',
  'WANDB_API_KEY',
  'GITHUB_TOKEN',
  'OPENAI_API_KEY',
  'STACKEXCHANGE_KEY',
  'SLURM_JWT',
] as const;

const extraSecrets = new Set<string>();

/** Registers a value (a JWT minted at runtime, say) so {@link redactSecrets} hides it too. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) extraSecrets.add(value);
}

const PATTERNS: readonly RegExp[] = [
  /\bhf_[A-Za-z0-9]{20,}\b/g,
  /\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  // `NAME=value` / `"NAME": "value"`; a value that is itself an env name (`HF_TOKEN: HF_TOKEN …`) stays.
  /((?:X-SLURM-USER-TOKEN|x-slurm-user-token|SLURM_JWT|HF_TOKEN|HUGGING_FACE_HUB_TOKEN|WANDB_API_KEY)["']?\s*[:=]\s*["']?)(?![A-Z_]+\b)[^\s"',}]{6,}/g,
];

/**
 * Replaces every secret it knows in `text` with `[REDACTED]`: the current values of
 * {@link SECRET_ENV_NAMES}, values passed to {@link registerSecret}, and token shapes (Hub,
 * GitHub, OpenAI, JWT, `Bearer`, `X-SLURM-USER-TOKEN: …`).
 */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  const values = new Set(extraSecrets);
  for (const name of SECRET_ENV_NAMES) {
    const value = env[name];
    if (value && value.length >= 8) values.add(value);
  }
  for (const value of values) out = out.split(value).join('[REDACTED]');
  for (const pattern of PATTERNS) {
    out = out.replace(pattern, (match, prefix?: unknown) =>
      typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}[REDACTED]` : '[REDACTED]',
    );
  }
  return out;
}
