// sacreBLEU's CLI has multi-letter single-dash flags (`-tok`, `-lc`, `-pbs`), which commander
// would read as bundles of one-letter flags. They are rewritten to their long forms first.
const ALIASES: Record<string, string> = {
  '-nr': '--num-refs',
  '-sl': '--sentence-level',
  '-sv': '--smooth-value',
  '-tok': '--tokenize',
  '-lc': '--lowercase',
  '-cc': '--chrf-char-order',
  '-cw': '--chrf-word-order',
  '-ci': '--confidence',
  '-cin': '--confidence-n',
  '-par': '--paired-ar',
  '-pbs': '--paired-bs',
  '-parn': '--paired-ar-n',
  '-pbsn': '--paired-bs-n',
  '-sh': '--short',
  '-nc': '--no-color',
};

/** Rewrites sacreBLEU's multi-letter short flags to long flags; everything else is untouched. */
export function normalizeSacrebleuArgs(args: readonly string[]): string[] {
  return args.map((a) => ALIASES[a] ?? a);
}
