/**
 * Quotes one word for a POSIX shell. Plain words stay as they are; anything else is wrapped in
 * single quotes, the only quoting in which nothing (`$`, backticks, `\`, `!`) is special, with
 * each embedded `'` written as `'\''`.
 */
export function quoteShellWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_./:@%+=,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line for a POSIX shell (ssh's remote side): every word quoted. */
export function shellCommandLine(argv: readonly string[]): string {
  return argv.map(quoteShellWord).join(' ');
}
