import { defineTokenizer } from './tokenizer.js';

/** Every character (Unicode code point) is a token: for languages written without spaces. */
export const tokenizerChar = defineTokenizer('char', (line) => Array.from(line).join(' '));
