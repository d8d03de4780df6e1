import { defineTokenizer } from './tokenizer.js';

/** No tokenization: for text that is already tokenized. Scores are not comparable to `13a`. */
export const tokenizerNone = defineTokenizer('none', (line) => line);
