import { DocumentSchema } from '@cncf-llm/scraper';
import { z } from 'zod';
import { type Chunk, chunkId } from '../chunk-record.js';
import { CorpusError } from '../errors.js';
import { type MarkdownBlock, parseMarkdownBlocks, type TextRange } from './markdown-blocks.js';
import type { TokenCounter } from './token-counter.js';

/** The fields of a scraped document that chunking reads and copies onto every chunk. */
export const ChunkableDocumentSchema = DocumentSchema.pick({
  id: true,
  markdown: true,
  project: true,
  sourceType: true,
  url: true,
  title: true,
  licence: true,
  attribution: true,
  language: true,
});
/** A document to chunk: its normalised markdown and the provenance every chunk carries. */
export type ChunkableDocument = z.infer<typeof ChunkableDocumentSchema>;

/** Options of {@link chunkDocument}. */
export interface ChunkOptions {
  /** What budgets are measured with; see `createTokenCounter`. */
  counter: TokenCounter;
  /**
   * The token budget of a chunk. Only a fenced code block or table larger than this (or,
   * rarely, a single word) makes a chunk exceed it; see {@link ChunkingStats}.
   * @default 512
   */
  maxTokens?: number;
  /**
   * Tokens of context repeated from the end of the previous chunk, cut at a block, line or
   * sentence boundary and counted within `maxTokens`. No overlap is added across a heading
   * (a new section needs none) or into or out of an oversize chunk. At most `maxTokens / 2`.
   * @default 0
   */
  overlapTokens?: number;
  /**
   * The smallest chunk the packer cuts early to reach a better boundary: a heading at least
   * this far into a chunk is preferred to a paragraph boundary after it.
   * @default maxTokens / 4, rounded down
   */
  minTokens?: number;
}

/** What {@link chunkDocumentWithStats} reports beside the chunks. */
export interface ChunkingStats {
  chunks: number;
  /** Tokens of all chunks, overlap counted in each chunk that repeats it. */
  tokens: number;
  /**
   * Chunks over `maxTokens`, by what made them so: a fenced code block or table that is larger
   * than the budget on its own (never cut), or text with no boundary to cut at (`other`, e.g.
   * a single enormous word). Every such chunk holds only that block, after any headings that
   * lead into it. A chunk is oversize exactly when `chunk.tokens > maxTokens`.
   */
  oversize: { code: number; table: number; other: number };
  /** Chunks that start with text repeated from the chunk before. */
  overlapping: number;
}

const ChunkOptionsSchema = z
  .object({
    counter: z.custom<TokenCounter>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as TokenCounter).count === 'function' &&
        typeof (value as TokenCounter).name === 'string',
      { message: 'counter must be a TokenCounter ({ name, count(text) }); see createTokenCounter' },
    ),
    maxTokens: z.number().int().min(16).default(512),
    overlapTokens: z.number().int().nonnegative().default(0),
    minTokens: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((o) => o.overlapTokens <= o.maxTokens / 2, {
    message: 'overlapTokens must be at most maxTokens / 2',
  })
  .refine((o) => o.minTokens === undefined || o.minTokens <= o.maxTokens, {
    message: 'minTokens must be at most maxTokens',
  });

// Boundary priorities: where the packer prefers to cut, best first.
const SECTION = 100; // before a heading
const BLOCK = 80; // between top-level blocks
const AFTER_INTRO = 70; // after a paragraph that ends with a colon: it introduces what follows
const ITEM = 60; // between list items, or paragraphs of a block quote
const LINE_AFTER_SENTENCE = 50; // a line break after the end of a sentence
const LINE = 40; // a line break in a list, quote or HTML block
const SENTENCE = 30;
const SOFT_LINE = 25; // a line break inside a sentence (hard-wrapped prose)
const WORD = 10;
const CHARACTER = 0;
const AFTER_HEADING = -10; // between a heading and what it heads: only when nothing else fits

/** A run of text the packer places whole. */
interface Unit extends TextRange {
  /** Tokens of the text from the end of the previous unit to the end of this one. */
  tokens: number;
  /** Priority of cutting just before this unit. */
  breakBefore: number;
  /** Set on headings: where they sit in the outline. */
  heading?: { level: number; text: string };
  /** Set when the unit is larger than the budget and may not be cut further. */
  oversize?: 'code' | 'table' | 'other';
  /** Whether the unit is (inside) a code block or table: overlap never starts inside one. */
  atomic: boolean;
  /** For a code block or table: where it ends. Trimming a chunk's end never goes before it. */
  keepEnd?: number;
}

const SENTENCE_END = /[.!?]["'”’)\]*_]*[ \t]+(?=[^\sa-z])|[。！？](?=\S)/g;

/** Positions inside [start, end) where a new sentence starts. */
function sentenceStarts(text: string, start: number, end: number): number[] {
  const found: number[] = [];
  const slice = text.slice(start, end);
  SENTENCE_END.lastIndex = 0;
  for (let match = SENTENCE_END.exec(slice); match !== null; match = SENTENCE_END.exec(slice)) {
    const at = start + match.index + match[0].length;
    if (at < end) found.push(at);
  }
  return found;
}

function endsSentence(text: string, lineEnd: number): boolean {
  let i = lineEnd - 1;
  while (i >= 0 && /["'”’)\]*_ \t]/.test(text.charAt(i))) i--;
  return /[.!?:。！？]/.test(text.charAt(i));
}

function inside(ranges: readonly TextRange[], at: number): TextRange | undefined {
  for (const r of ranges) if (at > r.start && at < r.end) return r;
  return undefined;
}

/** Candidate cut points inside a block, with priorities (atomic ranges excluded). */
function innerBoundaries(markdown: string, block: MarkdownBlock): Array<[number, number]> {
  const atomic = block.atomic ?? [];
  const items = new Set(block.items ?? []);
  const cuts: Array<[number, number]> = [];
  const prose = block.kind === 'paragraph' || block.kind === 'heading';
  let lineStart = block.start;
  while (lineStart < block.end) {
    let lineEnd = markdown.indexOf('\n', lineStart);
    if (lineEnd === -1 || lineEnd > block.end) lineEnd = block.end;
    const nested = inside(atomic, lineStart);
    if (nested !== undefined) {
      // Skip the whole nested code block or table: no cut inside it.
      lineStart = nested.end + 1;
      continue;
    }
    if (lineStart > block.start && !isBlankLine(markdown, lineStart, lineEnd)) {
      if (items.has(lineStart)) cuts.push([lineStart, ITEM]);
      else if (prose)
        cuts.push([
          lineStart,
          endsSentence(markdown, lineStart - 1) ? LINE_AFTER_SENTENCE : SOFT_LINE,
        ]);
      else cuts.push([lineStart, LINE]);
    }
    if (!atomic.some((r) => r.start === lineStart)) {
      for (const at of sentenceStarts(markdown, lineStart, lineEnd)) cuts.push([at, SENTENCE]);
    }
    lineStart = lineEnd + 1;
  }
  return cuts;
}

function isBlankLine(markdown: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = markdown.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** Word starts inside [start, end), for text with no better boundary. */
function wordStarts(markdown: string, start: number, end: number): number[] {
  const found: number[] = [];
  for (let i = start + 1; i < end; i++) {
    const c = markdown.charCodeAt(i - 1);
    if ((c === 0x20 || c === 0x09 || c === 0x0a) && !/\s/.test(markdown.charAt(i))) found.push(i);
  }
  return found;
}

interface Packing {
  markdown: string;
  counter: TokenCounter;
  maxTokens: number;
}

/**
 * Splits [start, end) at the given cut points into units each within the budget, splitting
 * further at words, then characters, where a piece is still too large.
 */
function splitRange(
  p: Packing,
  start: number,
  end: number,
  firstBreak: number,
  cuts: Array<[number, number]>,
  atomic: readonly TextRange[],
  units: Unit[],
): void {
  const points = [
    [start, firstBreak] as [number, number],
    ...cuts.filter(([at]) => at > start && at < end),
  ];
  for (let k = 0; k < points.length; k++) {
    const [pieceStart, breakBefore] = points[k] as [number, number];
    const pieceEnd = k + 1 < points.length ? (points[k + 1] as [number, number])[0] : end;
    const tokens = p.counter.count(p.markdown.slice(pieceStart, pieceEnd));
    const nested = atomic.find((r) => r.start === pieceStart);
    if (tokens <= p.maxTokens) {
      const unit: Unit = {
        start: pieceStart,
        end: pieceEnd,
        tokens,
        breakBefore,
        atomic: nested !== undefined,
      };
      if (nested !== undefined) unit.keepEnd = nested.end;
      units.push(unit);
    } else if (nested !== undefined) {
      const kind = /^\s*(?:>\s*)*(?:[-*+]|\d+[.)])?\s*(?:`{3,}|~{3,})/.test(
        p.markdown.slice(pieceStart, nested.end),
      )
        ? 'code'
        : 'table';
      units.push({
        start: pieceStart,
        end: pieceEnd,
        tokens,
        breakBefore,
        atomic: true,
        oversize: kind,
        keepEnd: nested.end,
      });
    } else {
      // Trailing white space stays in the gap, or a split could leave a piece of it alone.
      let textEnd = pieceEnd;
      while (textEnd > pieceStart && /\s/.test(p.markdown.charAt(textEnd - 1))) textEnd--;
      const words = wordStarts(p.markdown, pieceStart, textEnd);
      if (words.length > 0) {
        splitRange(
          p,
          pieceStart,
          textEnd,
          breakBefore,
          words.map((at) => [at, WORD] as [number, number]),
          [],
          units,
        );
      } else {
        splitCharacters(p, pieceStart, textEnd, breakBefore, units);
      }
    }
  }
}

/** Last resort for a "word" over budget (a key, a hash, a minified line): the longest prefixes that fit. */
function splitCharacters(
  p: Packing,
  start: number,
  end: number,
  breakBefore: number,
  units: Unit[],
): void {
  let from = start;
  let priority = breakBefore;
  while (from < end) {
    let low = from + 1;
    let high = end;
    // Largest cut with a piece within the budget, by bisection on the counter.
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (p.counter.count(p.markdown.slice(from, mid)) <= p.maxTokens) low = mid;
      else high = mid - 1;
    }
    let cut = low;
    // Never between the halves of a surrogate pair.
    const c = p.markdown.charCodeAt(cut - 1);
    if (cut < end && c >= 0xd800 && c <= 0xdbff && cut - 1 > from) cut--;
    const tokens = p.counter.count(p.markdown.slice(from, cut));
    const unit: Unit = { start: from, end: cut, tokens, breakBefore: priority, atomic: false };
    if (tokens > p.maxTokens) unit.oversize = 'other';
    units.push(unit);
    from = cut;
    priority = CHARACTER;
  }
}

function unitsOf(p: Packing, blocks: MarkdownBlock[]): Unit[] {
  const units: Unit[] = [];
  let previous: MarkdownBlock | undefined;
  for (const block of blocks) {
    const breakBefore =
      block.kind === 'heading'
        ? SECTION
        : previous?.kind === 'heading'
          ? AFTER_HEADING
          : previous?.kind === 'paragraph' && p.markdown.charCodeAt(previous.end - 1) === 0x3a
            ? AFTER_INTRO
            : BLOCK;
    const tokens = p.counter.count(p.markdown.slice(previous?.end ?? block.start, block.end));
    const atomicKind = block.kind === 'code' || block.kind === 'table';
    if (tokens <= p.maxTokens || atomicKind) {
      const unit: Unit = {
        start: block.start,
        end: block.end,
        tokens,
        breakBefore,
        atomic: atomicKind,
      };
      if (atomicKind) unit.keepEnd = block.end;
      if (block.kind === 'heading')
        unit.heading = { level: block.level ?? 1, text: block.text ?? '' };
      if (tokens > p.maxTokens) unit.oversize = block.kind as 'code' | 'table';
      units.push(unit);
    } else {
      const first = units.length;
      splitRange(
        p,
        block.start,
        block.end,
        breakBefore,
        innerBoundaries(p.markdown, block),
        block.atomic ?? [],
        units,
      );
      // A heading too long for the budget (a setext "heading" over a whole paragraph) still
      // names the section that follows.
      const lead = units[first];
      if (block.kind === 'heading' && lead !== undefined) {
        lead.heading = { level: block.level ?? 1, text: block.text ?? '' };
      }
    }
    previous = block;
  }
  return units;
}

/** The end of a chunk ending with `unit`: trailing white space left to the gap. */
function trimmedEnd(markdown: string, unit: Unit): number {
  let end = unit.end;
  const floor = unit.keepEnd ?? unit.start;
  while (end > floor) {
    const c = markdown.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a) break;
    end--;
  }
  return end;
}

/**
 * Where the overlap of a chunk whose own text starts at `ownStart` begins: the earliest unit,
 * line or sentence start in the previous chunk (after its first) whose text up to `ownStart`
 * fits `budget`. Null when none does.
 */
function overlapBefore(
  p: Packing,
  previous: { units: Unit[] },
  ownStart: number,
  budget: number,
  blocksByStart: ReadonlyMap<number, MarkdownBlock>,
): { start: number; tokens: number } | null {
  const previousStart = (previous.units[0] as Unit).start;
  const candidates: number[] = [];
  for (const unit of previous.units) {
    if (unit.start > previousStart) candidates.push(unit.start);
    if (unit.atomic) continue;
    const block = blocksByStart.get(unit.start);
    const inner =
      block !== undefined && block.end === unit.end
        ? innerBoundaries(p.markdown, block).map(([at]) => at)
        : sentenceStarts(p.markdown, unit.start, unit.end);
    for (const at of inner) if (at > unit.start && at < unit.end) candidates.push(at);
  }
  candidates.sort((a, b) => b - a);
  let best: { start: number; tokens: number } | null = null;
  for (const at of candidates) {
    if (at >= ownStart) continue;
    const tokens = p.counter.count(p.markdown.slice(at, ownStart));
    if (tokens > budget) break;
    best = { start: at, tokens };
  }
  return best;
}

/**
 * Chunks one document: {@link chunkDocument} plus counts of what it did.
 */
export function chunkDocumentWithStats(
  document: ChunkableDocument,
  options: ChunkOptions,
): { chunks: Chunk[]; stats: ChunkingStats } {
  const parsedOptions = ChunkOptionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    throw new CorpusError(
      'invalid-options',
      `Invalid chunking options: ${z.prettifyError(parsedOptions.error)}`,
    );
  }
  const parsedDocument = ChunkableDocumentSchema.safeParse(document);
  if (!parsedDocument.success) {
    throw new CorpusError(
      'invalid-input',
      `Cannot chunk document ${String((document as { url?: unknown })?.url ?? '(no url)')}: ${z.prettifyError(parsedDocument.error)}`,
    );
  }
  const { counter, maxTokens, overlapTokens } = parsedOptions.data;
  const minTokens = parsedOptions.data.minTokens ?? Math.floor(maxTokens / 4);
  const doc = parsedDocument.data;
  const markdown = doc.markdown;
  const p: Packing = { markdown, counter, maxTokens };

  const blocks = parseMarkdownBlocks(markdown);
  const blocksByStart = new Map(blocks.map((b) => [b.start, b]));
  const units = unitsOf(p, blocks);

  const chunks: Chunk[] = [];
  const stats: ChunkingStats = {
    chunks: 0,
    tokens: 0,
    oversize: { code: 0, table: 0, other: 0 },
    overlapping: 0,
  };
  const outline: Array<{ level: number; text: string }> = [];
  // The chunk emitted last: what overlap is taken from.
  const state: { previous: { units: Unit[]; oversize: boolean } | null } = { previous: null };

  const emit = (
    first: number,
    last: number,
    overlap: { start: number } | null,
    tokens: number,
    text: string,
  ) => {
    const chunkUnits = units.slice(first, last);
    const ownStart = (chunkUnits[0] as Unit).start;
    const start = overlap?.start ?? ownStart;
    const end = start + text.length;
    // Outline above the chunk: headings before it, then the headings it opens with.
    let u = 0;
    for (; u < chunkUnits.length; u++) {
      const heading = chunkUnits[u]?.heading;
      if (heading === undefined) break;
      applyHeading(outline, heading);
    }
    const headingPath = outline.map((h) => h.text);
    for (; u < chunkUnits.length; u++) {
      const heading = chunkUnits[u]?.heading;
      if (heading !== undefined) applyHeading(outline, heading);
    }
    chunks.push({
      id: chunkId(doc.id, start, end, text),
      documentId: doc.id,
      index: chunks.length,
      text,
      headingPath,
      startOffset: start,
      endOffset: end,
      tokens,
      project: doc.project,
      sourceType: doc.sourceType,
      url: doc.url,
      title: doc.title,
      licence: doc.licence,
      attribution: doc.attribution,
      language: doc.language,
    });
    stats.chunks++;
    stats.tokens += tokens;
    if (overlap !== null) stats.overlapping++;
    const oversizeUnit = chunkUnits.find((unit) => unit.oversize !== undefined);
    if (tokens > maxTokens) stats.oversize[oversizeUnit?.oversize ?? 'other']++;
    state.previous = { units: chunkUnits, oversize: tokens > maxTokens };
  };

  let i = 0;
  while (i < units.length) {
    // Headings that lead into an oversize block go with it, and nothing else does.
    let lead = i;
    while (
      lead < units.length &&
      units[lead]?.heading !== undefined &&
      units[lead]?.oversize === undefined
    )
      lead++;
    const leadUnit = units[lead];
    if (leadUnit?.oversize !== undefined) {
      const text = markdown.slice((units[i] as Unit).start, trimmedEnd(markdown, leadUnit));
      emit(i, lead + 1, null, counter.count(text), text);
      i = lead + 1;
      continue;
    }

    const firstUnit = units[i] as Unit;
    let overlap: { start: number; tokens: number } | null = null;
    const previous = state.previous;
    if (
      overlapTokens > 0 &&
      previous !== null &&
      !previous.oversize &&
      firstUnit.breakBefore !== SECTION
    ) {
      overlap = overlapBefore(p, previous, firstUnit.start, overlapTokens, blocksByStart);
    }

    // Greedy fill, then look back for the best boundary to cut at.
    const budget = maxTokens - (overlap?.tokens ?? 0);
    let sum = firstUnit.tokens;
    let j = i + 1;
    while (j < units.length) {
      const next = units[j] as Unit;
      if (next.oversize !== undefined || sum + next.tokens > budget) break;
      sum += next.tokens;
      j++;
    }
    let cut = j;
    if (j < units.length && units[j]?.oversize !== undefined) {
      // Headings just before an oversize block lead into it: they start its chunk.
      while (cut - 1 > i && units[cut - 1]?.heading !== undefined) cut--;
    } else if (j < units.length) {
      cut = chooseCut(units, i, j, minTokens);
    }
    // The sums above count each unit with the white space before it: close, but a tokenizer
    // may merge across a boundary. The exact count decides; step back while it is over.
    for (;;) {
      const text = markdown.slice(
        overlap?.start ?? firstUnit.start,
        trimmedEnd(markdown, units[cut - 1] as Unit),
      );
      if (!/\S/.test(text)) break; // white space only: it belongs to the gaps between chunks
      const tokens = counter.count(text);
      if (tokens <= maxTokens || (cut === i + 1 && overlap === null)) {
        emit(i, cut, overlap, tokens, text);
        break;
      }
      if (cut > i + 1) cut = chooseCut(units, i, cut - 1, minTokens);
      else overlap = null;
    }
    i = cut;
  }
  return { chunks, stats };
}

/**
 * The best place to cut a chunk that starts at unit `first` and cannot take unit `limit`: the
 * highest-priority boundary at least `minTokens` in (the latest among equals), else the
 * highest-priority one anywhere. Cutting between a heading and its block is the last resort.
 */
function chooseCut(
  units: readonly Unit[],
  first: number,
  limit: number,
  minTokens: number,
): number {
  let best = -1;
  let bestPriority = Number.NEGATIVE_INFINITY;
  let fallback = -1;
  let fallbackPriority = Number.NEGATIVE_INFINITY;
  let prefix = 0;
  for (let k = first + 1; k <= limit; k++) {
    prefix += (units[k - 1] as Unit).tokens;
    const priority = (units[k] as Unit | undefined)?.breakBefore ?? BLOCK;
    if (priority < 0) continue;
    if (priority >= fallbackPriority) {
      fallback = k;
      fallbackPriority = priority;
    }
    if (prefix >= minTokens && priority >= bestPriority) {
      best = k;
      bestPriority = priority;
    }
  }
  if (best !== -1) return best;
  return fallback !== -1 ? fallback : limit;
}

function applyHeading(
  outline: Array<{ level: number; text: string }>,
  heading: { level: number; text: string },
) {
  while (outline.length > 0 && (outline.at(-1) as { level: number }).level >= heading.level)
    outline.pop();
  outline.push(heading);
}

/**
 * Splits a document's normalised markdown into chunks for retrieval and training, cut at its
 * structure and within a token budget.
 *
 * Blocks (headings, paragraphs, fenced code, tables, lists, block quotes, HTML) are packed in
 * order up to `maxTokens`. Where a chunk must end, the cut goes to the best boundary at least
 * `minTokens` in: before a heading, else between blocks, else between list items, else at a line
 * or sentence end; never between a heading and its first block unless nothing else fits. A
 * block larger than the budget is split at its items, lines, sentences, then words; a fenced
 * code block or table never is: one larger than the budget becomes a chunk of its own (with
 * the headings that lead into it), over budget — see {@link ChunkingStats}.
 *
 * Each chunk's text is exactly `document.markdown.slice(startOffset, endOffset)`: it starts at
 * the beginning of a line (or sentence or word, where a block had to be split) and ends without
 * trailing white space, so without overlap the chunks, joined by the white space between them,
 * give back the whole document. With `overlapTokens`, a chunk's `startOffset` moves back into
 * the previous chunk to a block, line or sentence boundary, and that stretch is repeated.
 * `headingPath` is the outline at the chunk's own start (after any headings it opens with).
 * Ids come from {@link chunkId}, so the same input always gives the same chunks.
 *
 * @throws {CorpusError} `invalid-options` or `invalid-input`.
 */
export function chunkDocument(document: ChunkableDocument, options: ChunkOptions): Chunk[] {
  return chunkDocumentWithStats(document, options).chunks;
}
