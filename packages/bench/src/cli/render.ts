import type { ScoreResult } from '../corpus.js';
import { formatFixed } from '../format.js';
import type { Signature } from '../signature.js';
import type { PairedResult } from '../significance/paired.js';

/** How scores are printed, as sacreBLEU's reporting flags set it. */
export interface RenderOptions {
  width: number;
  short: boolean;
  scoreOnly: boolean;
}

/** sacreBLEU's one-line form: `BLEU|nrefs:1|… = 48.5 (μ = … ± …) 82.4/50.0/… (BP = …)`. */
export function scoreLine(result: ScoreResult, opts: RenderOptions): string {
  let sc = formatFixed(result.score, opts.width);
  if (result.confidence)
    sc += ` (μ = ${formatFixed(result.confidence.mean, opts.width)} ± ${formatFixed(result.confidence.ci, opts.width)})`;
  if (opts.scoreOnly) return formatFixed(result.score, opts.width);
  const line = `${result.name}|${result.signature.format({ short: opts.short })} = ${sc}`;
  return result.verbose ? `${line} ${result.verbose}` : line;
}

/** Aligns single-system lines on their ` = ` as sacreBLEU does. */
export function alignLines(lines: string[]): string {
  if (lines.length < 2 || lines.some((l) => !l.includes(' = '))) return lines.join('\n');
  const heads = lines.map((l) => l.slice(0, l.indexOf(' = ')));
  const width = Math.max(...heads.map((h) => h.length));
  return lines.map((l, i) => heads[i]!.padStart(width) + l.slice(heads[i]!.length)).join('\n');
}

/** The JSON object of one score: sacreBLEU's keys, plus the exact statistics. */
export function scoreJson(result: ScoreResult, width: number): Record<string, unknown> {
  const { name, score, verbose, signature, confidence, ...statistics } = result;
  const out: Record<string, unknown> = {
    name,
    score: Number(formatFixed(score, width)),
    signature: signature.format(),
  };
  if (confidence) {
    out.confidence_mean = Number(formatFixed(confidence.mean, width));
    out.confidence_var = Number(formatFixed(confidence.ci, width));
    out.confidence = `μ = ${formatFixed(confidence.mean, width)} ± ${formatFixed(confidence.ci, width)}`;
  }
  if (verbose) out.verbose_score = verbose;
  Object.assign(out, signature.toJSON());
  out.exact_score = score;
  out.statistics = statistics;
  return out;
}

/** A box-drawn table (the look of sacreBLEU's `fancy_grid`); first column right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows].map((r) => r.map((c) => c.split('\n')));
  // Like tabulate, a header gets two spaces of room beyond its text.
  const widths = headers.map((h, c) =>
    Math.max([...h].length + 2, ...cells.map((r) => Math.max(...r[c]!.map((l) => [...l].length)))),
  );
  const rule = (l: string, m: string, r: string, f: string) =>
    l + widths.map((w) => f.repeat(w + 2)).join(m) + r;
  const line = (row: string[][]) => {
    const height = Math.max(...row.map((c) => c.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++)
      out.push(
        `│${row
          .map((c, i) => {
            const text = c[k] ?? '';
            const w = widths[i]!;
            const pad = w - [...text].length;
            if (i === 0) return ` ${' '.repeat(pad)}${text} `;
            const left = Math.floor(pad / 2);
            return ` ${' '.repeat(left)}${text}${' '.repeat(pad - left)} `;
          })
          .join('│')}│`,
      );
    return out.join('\n');
  };
  const out = [rule('╒', '╤', '╕', '═'), line(cells[0]!), rule('╞', '╪', '╡', '═')];
  cells.slice(1).forEach((row, i) => {
    out.push(line(row));
    out.push(i === cells.length - 2 ? rule('╘', '╧', '╛', '═') : rule('├', '┼', '┤', '─'));
  });
  return out.join('\n');
}

/** The signatures block printed under multi-system tables. */
export function signaturesBlock(signatures: Map<string, Signature>, short: boolean): string {
  const lines = ['-----------------', 'Metric signatures', '-----------------'];
  for (const [name, sig] of signatures)
    lines.push(` - ${name.padEnd(10)} ${sig.format({ short })}`);
  return lines.join('\n');
}

/** One paired-test cell: score, bootstrap mean ± CI, and the p-value (starred below 0.05). */
export function pairedCell(result: PairedResult, width: number): string {
  let cell = formatFixed(result.score, width);
  if (result.mean !== undefined && result.ci !== undefined)
    cell += ` (${formatFixed(result.mean, width)} ± ${formatFixed(result.ci, width)})`;
  if (result.pValue !== undefined)
    cell += `\n(p = ${formatFixed(result.pValue, 4)})${result.pValue <= 0.05 ? '*' : ''}`;
  return cell;
}

/** The explanation sacreBLEU prints under a paired-test table, in our words. */
export function pairedExplanation(test: 'bs' | 'ar', samples: number, baseline: string): string {
  const title =
    test === 'bs'
      ? `Paired bootstrap resampling test with ${samples} resampling trials`
      : `Paired approximate randomization test with ${samples} trials`;
  const rule = '-'.repeat(title.length);
  return [
    rule,
    title,
    rule,
    ` - Every system is compared with the baseline, ${baseline}.`,
    test === 'bs'
      ? '   Each cell: actual score (bootstrap mean ± half-width of the 95% CI), then the p-value.'
      : '   Each cell: actual score, then the p-value.',
    ' - The p-value estimates how often a score difference at least this large arises by chance',
    '   when both outputs come from the same process (the null hypothesis).',
    ' - p-values below 0.05 are marked with "*": the difference is unlikely to be chance. Significance',
    '   says the systems differ reliably, not which one is better.',
    '',
  ].join('\n');
}
