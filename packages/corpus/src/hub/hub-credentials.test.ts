import { describe, expect, it } from 'vitest';
import { isCorpusError } from '../errors.js';
import { redactSecret, resolveAccessToken, resolveHubUrl } from './hub-credentials.js';

describe('resolveAccessToken', () => {
  it('prefers the explicit token, then HF_TOKEN', () => {
    expect(resolveAccessToken('hf_explicit', { required: true, env: { HF_TOKEN: 'hf_env' } })).toBe(
      'hf_explicit',
    );
    expect(resolveAccessToken(undefined, { required: true, env: { HF_TOKEN: 'hf_env' } })).toBe(
      'hf_env',
    );
    expect(resolveAccessToken(undefined, { required: false, env: {} })).toBeUndefined();
  });

  it('names HF_TOKEN when a required token is missing', () => {
    let caught: unknown;
    try {
      resolveAccessToken(undefined, { required: true, env: { HF_TOKEN: '  ' } });
    } catch (error) {
      caught = error;
    }
    expect(isCorpusError(caught, 'invalid-options')).toBe(true);
    expect((caught as Error).message).toMatch(/HF_TOKEN/);
  });

  it('refuses a value that is not a Hub token without repeating it', () => {
    // Obviously fake, and assembled so no credential-shaped literal sits in the repository.
    const secret = ['ghp', 'FAKE', 'not', 'a', 'real', 'token'].join('_');
    expect(() =>
      resolveAccessToken(undefined, { required: true, env: { HF_TOKEN: secret } }),
    ).toThrow(/HF_TOKEN does not start with "hf_"/);
    let caught: unknown;
    try {
      resolveAccessToken(secret, { required: true, env: {} });
    } catch (error) {
      caught = error;
    }
    expect(isCorpusError(caught, 'invalid-options')).toBe(true);
    expect((caught as Error).message).not.toContain(secret);
    expect((caught as Error).message).toContain('accessToken');
  });
});

describe('resolveHubUrl and redactSecret', () => {
  it('falls back to HF_ENDPOINT, then huggingface.co, without a trailing slash', () => {
    expect(resolveHubUrl('http://127.0.0.1:9/', {})).toBe('http://127.0.0.1:9');
    expect(resolveHubUrl(undefined, { HF_ENDPOINT: 'https://hub.example/' })).toBe(
      'https://hub.example',
    );
    expect(resolveHubUrl(undefined, {})).toBe('https://huggingface.co');
  });

  it('replaces every occurrence of the secret', () => {
    expect(redactSecret('a hf_x b hf_x', 'hf_x')).toBe('a hf_*** b hf_***');
    expect(redactSecret('unchanged', undefined)).toBe('unchanged');
  });
});
