import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { digestBytes, gitBlobSha1, lfsPointer } from './git-hash.js';
import { hashFile } from './local-files.js';

const card = fileURLToPath(new URL('../../test/fixtures/hub/dataset-card.md', import.meta.url));
const gitHashObject = (path: string) =>
  execFileSync('git', ['hash-object', '--no-filters', path], { encoding: 'utf8' }).trim();

describe('git blob hashing', () => {
  it('matches the well-known blob ids of git', () => {
    expect(gitBlobSha1(new Uint8Array())).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobSha1(new TextEncoder().encode('hello\n'))).toBe(
      'ce013625030ba8dba906f756967f9e9ca394464a',
    );
  });

  it('agrees with `git hash-object` on a real file, streamed or in memory', async () => {
    const bytes = readFileSync(card);
    const streamed = await hashFile(card, bytes.byteLength);
    expect(streamed.gitSha1).toBe(gitHashObject(card));
    expect(streamed).toEqual(digestBytes(bytes));
    expect(streamed.bytes).toBe(bytes.byteLength);
  });

  it('never reports a git oid for a stream whose length differs from the announced size', async () => {
    const bytes = readFileSync(card);
    const digests = await hashFile(card, bytes.byteLength + 1);
    expect(digests.gitSha1).not.toBe(gitHashObject(card));
  });

  it('writes LFS pointers in the spec v1 layout', () => {
    const sha = digestBytes(new TextEncoder().encode('x')).sha256;
    expect(lfsPointer(sha, 1)).toBe(
      `version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize 1\n`,
    );
  });
});
