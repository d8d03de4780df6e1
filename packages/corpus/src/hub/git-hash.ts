import { createHash, type Hash } from 'node:crypto';

/**
 * The two digests the Hub publishes for a file in its tree listing: the git blob SHA-1 of a
 * regular file (`oid`) and the SHA-256 of an LFS file's content (`lfs.oid`). Hashing both in
 * one pass lets a push decide "unchanged" and a pull verify a download without reading a file
 * twice.
 */
export interface FileDigests {
  bytes: number;
  sha256: string;
  /** `sha1("blob <size>\0" + content)`, what `git hash-object` prints. */
  gitSha1: string;
}

/**
 * Incremental hasher for {@link FileDigests}. The git blob header carries the size, so the
 * size must be known before the first byte (a `stat`, or the size the Hub listed).
 */
export class DigestHasher {
  readonly #sha256: Hash = createHash('sha256');
  readonly #sha1: Hash = createHash('sha1');
  readonly #expectedBytes: number;
  #bytes = 0;

  constructor(expectedBytes: number) {
    this.#expectedBytes = expectedBytes;
    this.#sha1.update(`blob ${expectedBytes}\0`);
  }

  update(chunk: Uint8Array): void {
    this.#bytes += chunk.byteLength;
    this.#sha256.update(chunk);
    this.#sha1.update(chunk);
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The digests. When fewer or more bytes arrived than announced, `gitSha1` is of a blob that
   * cannot exist, so it never matches a listed oid by accident; callers compare `bytes` first.
   */
  digest(): FileDigests {
    return {
      bytes: this.#bytes,
      sha256: this.#sha256.digest('hex'),
      gitSha1: this.#bytes === this.#expectedBytes ? this.#sha1.digest('hex') : 'size-mismatch',
    };
  }
}

/** Digests of bytes already in memory. */
export function digestBytes(bytes: Uint8Array): FileDigests {
  const hasher = new DigestHasher(bytes.byteLength);
  hasher.update(bytes);
  return hasher.digest();
}

/** The git blob SHA-1 of `bytes`, as `git hash-object` computes it. */
export function gitBlobSha1(bytes: Uint8Array): string {
  return digestBytes(bytes).gitSha1;
}

/**
 * The Git LFS pointer file git stores in place of an LFS object (spec v1). Its blob SHA-1 is
 * the `oid` the Hub lists for an LFS file, and its length is `lfs.pointerSize`.
 */
export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}
