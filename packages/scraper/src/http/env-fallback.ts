/**
 * Resolves a credential option: the explicit value when one is given (an empty string counts
 * as "none"), else the named environment variable. Kept in one place so every client reads the
 * environment the same way and nothing else in the package touches `process.env` for secrets.
 */
export function envFallback(explicit: string | undefined, variable: string): string | undefined {
  if (explicit !== undefined) return explicit === '' ? undefined : explicit;
  const value = process.env[variable];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Replaces every occurrence of `secret` in `text` with `***`. Error messages quote server
 * bodies, and a proxy or a misbehaving server could echo a header back; this keeps a token out
 * of anything we print or store even then.
 */
export function redact(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length < 4) return text;
  return text.split(secret).join('***');
}
