import { CorpusError } from '../errors.js';

/** Where the Hub lives unless told otherwise. */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

/**
 * The access token for a Hub call: the one passed, else `HF_TOKEN` from the environment (the
 * variable every Hugging Face client reads). The one place the environment is consulted, so a
 * caller can always tell which token was used.
 *
 * @param required - a push needs a token; a pull of a public repo does not.
 * @throws CorpusError `invalid-options` naming `HF_TOKEN` when a required token is missing, or
 *   when the token is not shaped like a Hub token (never echoing it).
 */
export function resolveAccessToken(
  explicit: string | undefined,
  { required, env = process.env }: { required: boolean; env?: NodeJS.ProcessEnv },
): string | undefined {
  const token = explicit?.trim() || env.HF_TOKEN?.trim() || undefined;
  if (token === undefined) {
    if (!required) return undefined;
    throw new CorpusError(
      'invalid-options',
      'No Hugging Face access token: set HF_TOKEN to a token with write access ' +
        '(https://huggingface.co/settings/tokens) or pass accessToken.',
    );
  }
  // The client refuses other shapes with a TypeError; say the same thing in our terms, and
  // without repeating the value (it may be a secret pasted into the wrong variable).
  if (!token.startsWith('hf_')) {
    throw new CorpusError(
      'invalid-options',
      `The Hugging Face access token from ${explicit?.trim() ? 'accessToken' : 'HF_TOKEN'} does not start with "hf_": check that it is a Hub user access token.`,
    );
  }
  return token;
}

/** The Hub's base URL: the one passed, else `HF_ENDPOINT`, else {@link DEFAULT_HUB_URL}. */
export function resolveHubUrl(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const url = explicit?.trim() || env.HF_ENDPOINT?.trim() || DEFAULT_HUB_URL;
  return url.replace(/\/+$/, '');
}

/** `text` with every occurrence of `secret` replaced, for messages and logs. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret === '') return text;
  return text.split(secret).join('hf_***');
}
