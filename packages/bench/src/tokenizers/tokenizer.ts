/** A BLEU tokenizer: turns one segment into space-separated tokens. */
export interface Tokenizer {
  /** The `tok:` value of signatures. */
  readonly signature: string;
  (line: string): string;
}

/** Attaches a signature to a tokenizing function. */
export function defineTokenizer(signature: string, fn: (line: string) => string): Tokenizer {
  return Object.assign((line: string) => fn(line), { signature }) as Tokenizer;
}
