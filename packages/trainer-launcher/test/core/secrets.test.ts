import { describe, expect, it } from 'vitest';
import { LauncherError } from '../../src/errors.js';
import { redactSecrets, registerSecret } from '../../src/secrets.js';

// Obviously fake values, assembled at runtime so no token-shaped literal sits in the repo.
const fakeHub = ['hf', 'FAKEFAKEFAKEFAKEFAKEFAKE'].join('_');
const fakeGithub = ['ghp', 'FAKE0FAKE0FAKE0FAKE0FAKE0'].join('_');
const fakeJwt = ['eyJFAKEFAKEFAKE', 'FAKEFAKEFAKE', 'FAKEFAKEFAKE'].join('.');

describe('redacting secrets', () => {
  it('hides the current value of every secret environment variable', () => {
    const env = { HF_TOKEN: 'plain-value-without-a-shape', WANDB_API_KEY: 'another-plain-value' };
    expect(redactSecrets('token plain-value-without-a-shape and another-plain-value', env)).toBe(
      'token [REDACTED] and [REDACTED]',
    );
  });

  it('hides token shapes even when the environment does not hold them', () => {
    const text = `hub ${fakeHub} gh ${fakeGithub} jwt ${fakeJwt}`;
    expect(redactSecrets(text, {})).toBe('hub [REDACTED] gh [REDACTED] jwt [REDACTED]');
  });

  it('keeps the name and hides the value in assignments and headers', () => {
    expect(redactSecrets('export HF_TOKEN=abcdefgh123', {})).toBe('export HF_TOKEN=[REDACTED]');
    expect(redactSecrets('"X-SLURM-USER-TOKEN": "abc.def.ghi-jkl"', {})).toBe(
      '"X-SLURM-USER-TOKEN": "[REDACTED]"',
    );
    expect(redactSecrets('x-slurm-user-token: abcdefghijkl', {})).toBe(
      'x-slurm-user-token: [REDACTED]',
    );
    expect(redactSecrets('Authorization: Bearer abcdefghijkl', {})).toBe(
      'Authorization: Bearer [REDACTED]',
    );
  });

  it('leaves prose about a variable alone', () => {
    const text = 'HF_TOKEN: HF_TOKEN is not set; export it before launching';
    expect(redactSecrets(text, {})).toBe(text);
  });

  it('hides values registered at runtime', () => {
    const minted = `minted-${'z'.repeat(12)}`;
    registerSecret(minted);
    expect(redactSecrets(`token ${minted} expired`, {})).toBe('token [REDACTED] expired');
  });

  it('is applied to every LauncherError message and issue', () => {
    const error = new LauncherError('submit-failed', `sbatch failed with ${fakeHub}`, {
      issues: [`bad ${fakeJwt}`],
    });
    expect(error.message).not.toContain(fakeHub);
    expect(error.issues[0]).not.toContain(fakeJwt);
  });
});
