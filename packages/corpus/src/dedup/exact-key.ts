import { TextScanner } from './scan.js';

const scanner = new TextScanner({ normaliseNumbers: false });

/**
 * The exact-duplicate key of a text: MurmurHash3 x86_128 (seed 0) of the UTF-16LE bytes of
 * the text normalised by {@link normaliseForExactMatch} (NFC, lower case, whitespace runs
 * collapsed, punctuation kept), as 32 hex digits in the canonical byte order. Two texts with
 * the same key are duplicates. Elsewhere, the same key is
 * `mmh3.hash_bytes(normalised.encode('utf-16-le')).hex()` in Python.
 *
 * Not sha256: the normalisation and the hash come out of the single pass over the text that
 * also finds its words for MinHash, without building the normalised string; sha256 after
 * `normalize`, `toLowerCase` and a whitespace regex costs more than the whole MinHash
 * signature. A collision among 10⁸ texts has probability about 10⁻²³; the hash is not meant
 * to resist texts crafted to collide.
 */
export function exactKey(text: string): string {
  scanner.scan(text);
  let hex = '';
  for (const word of scanner.exact) {
    // Each 32-bit word little-endian, as MurmurHash3 writes its 16 output bytes.
    for (let byte = 0; byte < 4; byte += 1)
      hex += ((word >>> (byte * 8)) & 0xff).toString(16).padStart(2, '0');
  }
  return hex;
}
