/**
 * A cheap, one-pass reading of a markdown document for the quality filters: the prose (outside
 * fenced code) split into lines, paragraphs and words, and a word count for the code. The prose
 * rules of Gopher and C4 were written for web prose; measured over shell transcripts or YAML they
 * would drop exactly the pages a technical corpus wants, so code is only ever counted, never judged.
 */
export interface MarkdownView {
  /**
   * Prose lines outside tables, trimmed, with markup removed (heading and list markers, link
   * targets, HTML tags, shortcodes); lines that were only markup are left out. What the bullet,
   * ellipsis and boilerplate fractions are measured over.
   */
  lines: string[];
  /** Of `lines`, those that started with an unordered-list bullet. */
  bulletLines: number;
  /** Of `lines`, those that end with an ellipsis (`...` or `…`). */
  ellipsisLines: number;
  /**
   * The `lines` with at least `minRepeatWords` words: what line repetition is measured on.
   * Table rows and short labels ("Example", "Output:", a "show" toggle) repeat by design in
   * docs — an API reference repeats its header row in every table — so they are left out.
   */
  repeatableLines: string[];
  /** Prose paragraphs (tables included, markup removed) with at least `minRepeatWords` words. */
  paragraphs: string[];
  /** Prose words, tables included. */
  words: string[];
  /**
   * The `words` outside tables, headings and short labels, in order: the running text that
   * n-grams are cut from. A reference page's headings ("message `RangeRequest`
   * (api/etcdserverpb/rpc.proto)") repeat their template a hundred times, a Q&A page repeats its
   * "show" toggle, which is structure, not stuffing.
   */
  runningWords: string[];
  /** `#` characters left in the prose once heading markers and URLs are gone (hashtags, `#` noise). */
  hashes: number;
  /** Ellipses in the prose (runs of three or more dots, or `…`). */
  ellipses: number;
  /** Whitespace-separated tokens inside fenced code blocks. */
  codeWords: number;
}

// Fences are recognised at any indentation: inside list items they are indented to the item's
// content, and treating that code as prose would judge shell output by prose rules.
const FENCE = /^\s*(`{3,}|~{3,})/;
const TABLE_SEPARATOR = /^\|?[\s:|-]*-[\s:|-]*$/;
const THEMATIC_BREAK = /^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$/;
const HEADING = /^#{1,6}(?:\s+|$)/;
const BULLET = /^[-*+•●▪◦‣–]\s+/;
const BLOCKQUOTE = /^(?:>\s?)+/;
const ELLIPSIS_END = /(?:\.\.\.|…)$/;
// Link targets and bare URLs are not prose: their `#fragment`s and long path segments would skew
// the symbol ratio and the mean word length of every well-linked docs page.
const MARKDOWN_LINK = /!?\[([^\]]*)\]\([^)]*\)/g;
const AUTOLINK = /<(?:https?|mailto|ftp):[^>\s]*>/g;
const BARE_URL = /\b(?:https?|ftp):\/\/\S+/g;
const HTML_TAG = /<\/?[A-Za-z][^>]*>/g;
const SHORTCODE = /\{\{[<%].*?[%>]\}\}/g;
const WORD_SPLIT = /\s+/;
const HAS_ALNUM = /[\p{L}\p{N}]/u;
const NON_SPACE_RUN = /\S+/g;

/** Reads `text` (markdown) into a {@link MarkdownView}. */
export function readMarkdown(text: string, minRepeatWords: number): MarkdownView {
  const view: MarkdownView = {
    lines: [],
    bulletLines: 0,
    ellipsisLines: 0,
    repeatableLines: [],
    paragraphs: [],
    words: [],
    runningWords: [],
    hashes: 0,
    ellipses: 0,
    codeWords: 0,
  };
  let fence: { char: string; length: number } | undefined;
  let paragraph: string[] = [];
  let paragraphWords = 0;
  const endParagraph = () => {
    if (paragraphWords >= minRepeatWords) view.paragraphs.push(paragraph.join('\n'));
    paragraph = [];
    paragraphWords = 0;
  };

  for (const rawLine of text.split('\n')) {
    const fenceMatch = FENCE.exec(rawLine);
    if (fence !== undefined) {
      if (
        fenceMatch !== null &&
        fenceMatch[1]![0] === fence.char &&
        fenceMatch[1]!.length >= fence.length &&
        rawLine.slice(fenceMatch[0].length).trim() === ''
      ) {
        fence = undefined;
      } else {
        view.codeWords += countTokens(rawLine);
      }
      continue;
    }
    if (fenceMatch !== null) {
      endParagraph();
      fence = { char: fenceMatch[1]![0]!, length: fenceMatch[1]!.length };
      continue;
    }

    const line = rawLine.trim();
    if (line === '') {
      endParagraph();
      continue;
    }
    const tableRow = line.startsWith('|');
    if (tableRow && TABLE_SEPARATOR.test(line)) continue;
    if (THEMATIC_BREAK.test(line)) {
      endParagraph();
      continue;
    }

    let content = line;
    let bullet = false;
    const heading = HEADING.test(content);
    if (heading) {
      // A heading is a paragraph of its own: "## Example" above ten different examples must not
      // glue itself to the first one and hide a repeated paragraph.
      endParagraph();
      content = content.replace(HEADING, '');
    } else {
      if (content.startsWith('>')) content = content.replace(BLOCKQUOTE, '');
      if (BULLET.test(content)) {
        bullet = true;
        content = content.replace(BULLET, '');
      }
    }
    if (content.includes('](')) content = content.replace(MARKDOWN_LINK, '$1');
    if (content.includes('<')) content = content.replace(AUTOLINK, ' ').replace(HTML_TAG, ' ');
    if (content.includes('{{')) content = content.replace(SHORTCODE, ' ');
    if (content.includes('://')) content = content.replace(BARE_URL, ' ');
    content = content.trim();
    if (content === '') continue;

    view.hashes += countChar(content, '#');
    view.ellipses += countEllipses(content);
    const firstWord = view.words.length;
    for (const word of content.split(WORD_SPLIT)) {
      if (word !== '' && HAS_ALNUM.test(word)) view.words.push(word);
    }
    const lineWords = view.words.length - firstWord;
    if (!tableRow && !heading && lineWords >= minRepeatWords) {
      for (let index = firstWord; index < view.words.length; index++) {
        view.runningWords.push(view.words[index]!);
      }
    }

    paragraph.push(content);
    paragraphWords += lineWords;
    if (heading) endParagraph();
    if (tableRow) continue;
    view.lines.push(content);
    if (bullet) view.bulletLines += 1;
    if (ELLIPSIS_END.test(content)) view.ellipsisLines += 1;
    if (lineWords >= minRepeatWords) view.repeatableLines.push(content);
  }
  endParagraph();
  return view;
}

function countTokens(line: string): number {
  let count = 0;
  NON_SPACE_RUN.lastIndex = 0;
  while (NON_SPACE_RUN.exec(line) !== null) count += 1;
  return count;
}

function countChar(text: string, char: string): number {
  let count = 0;
  for (let index = text.indexOf(char); index !== -1; index = text.indexOf(char, index + 1)) {
    count += 1;
  }
  return count;
}

// A run of dots is one ellipsis: a PDF's table of contents has dot leaders eighty dots long, and
// counting every three of them would call a whitepaper symbol noise.
const ELLIPSIS_RUN = /\.{3,}|…+/g;

function countEllipses(text: string): number {
  if (!text.includes('...') && !text.includes('…')) return 0;
  let count = 0;
  ELLIPSIS_RUN.lastIndex = 0;
  while (ELLIPSIS_RUN.exec(text) !== null) count += 1;
  return count;
}
