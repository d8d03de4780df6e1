import {
  fencedCode,
  linkDestination,
  normaliseMarkdown,
  prefixLines,
  resolveSourceLink,
} from './markdown-syntax.js';

/** A lightly cleaned reStructuredText or AsciiDoc document. */
export interface CleanedMarkup {
  /** The document, markdown where the conversion is cheap and safe, the source text elsewhere. */
  markdown: string;
  /** The first section title, or `''`. */
  title: string;
  /** Absolute `http(s)` link targets, without fragment, deduplicated. */
  links: string[];
}

const ADORNMENT = /^([=\-`:'"~^_*+#<>.])\1{2,}[ \t]*$/;
const DROPPED_DIRECTIVES = new Set([
  'toctree',
  'include',
  'literalinclude',
  'contents',
  'meta',
  'index',
  'only',
  'raw',
  'highlight',
  'default-role',
  'sectnum',
]);
const CODE_DIRECTIVES = new Set(['code-block', 'code', 'sourcecode']);
const ADMONITIONS = new Set([
  'note',
  'warning',
  'tip',
  'important',
  'caution',
  'danger',
  'attention',
  'hint',
  'error',
  'seealso',
  'admonition',
]);

/**
 * Light cleaning of reStructuredText: section titles become `#` headings (levels in order of
 * first use, as docutils assigns them), `code-block` directives and `::` literal blocks become
 * fenced code, admonitions blockquotes, images markdown images; `toctree`, `include`,
 * `contents` and comments are dropped; `` `text <url>`_ `` links become markdown links.
 * Everything else passes through as written.
 */
export function cleanRst(source: string, options: { url?: string } = {}): CleanedMarkup {
  const lines = source
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const out: string[] = [];
  const styles: string[] = [];
  const links = new Set<string>();
  let title = '';
  const resolve = (target: string): string => resolveLink(target, options.url, links);
  const heading = (text: string, style: string): void => {
    let level = styles.indexOf(style);
    if (level === -1) {
      styles.push(style);
      level = styles.length - 1;
    }
    const clean = inlineRst(text, resolve);
    if (title === '') title = plainText(clean);
    out.push('', `${'#'.repeat(Math.min(level + 1, 6))} ${clean}`, '');
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const next = lines[i + 1];
    const after = lines[i + 2];
    if (
      ADORNMENT.test(line) &&
      next !== undefined &&
      next.trim() !== '' &&
      after !== undefined &&
      ADORNMENT.test(after) &&
      after[0] === line[0]
    ) {
      heading(next.trim(), `o${line[0]}`);
      i += 3;
      continue;
    }
    if (
      line.trim() !== '' &&
      !/^\s/.test(line) &&
      !ADORNMENT.test(line) &&
      next !== undefined &&
      ADORNMENT.test(next) &&
      next.trim().length >= Math.min(line.trim().length, 3) &&
      (i === 0 || lines[i - 1]!.trim() === '')
    ) {
      heading(line.trim(), `u${next[0]}`);
      i += 2;
      continue;
    }
    const directive = /^(\s*)\.\.\s+([A-Za-z][\w:-]*)::[ \t]*(.*)$/.exec(line);
    if (directive !== null) {
      const indent = directive[1]!.length;
      const name = directive[2]!.toLowerCase();
      const argument = directive[3]!.trim();
      const start = i;
      const end = blockEnd(lines, i + 1, indent);
      const { fields, body } = splitBody(lines.slice(i + 1, end));
      i = end;
      if (DROPPED_DIRECTIVES.has(name)) continue;
      if (CODE_DIRECTIVES.has(name)) {
        const language = argument.split(/\s+/)[0] ?? '';
        out.push('', fencedCode(body, language === '' ? null : language.toLowerCase()), '');
      } else if (ADMONITIONS.has(name)) {
        const label =
          name === 'admonition' ? argument : name === 'seealso' ? 'See also' : capitalise(name);
        const text = [name === 'admonition' ? '' : argument, body]
          .filter((part) => part !== '')
          .join('\n\n');
        const content = inlineRst(text, resolve);
        const labelled =
          label === '' ? content : content === '' ? `**${label}:**` : `**${label}:** ${content}`;
        out.push('', prefixLines(labelled, '> '), '');
      } else if (name === 'image' || name === 'figure') {
        const alt = fields.alt ?? '';
        // An image resolves like a link but is no page to crawl.
        const source = resolveLink(argument, options.url, new Set());
        out.push('', `![${alt.replace(/[[\]]/g, '\\$&')}](${linkDestination(source)})`);
        if (name === 'figure' && body !== '') out.push('', inlineRst(body, resolve));
        out.push('');
      } else {
        out.push(...lines.slice(start, end));
      }
      continue;
    }
    if (/^\.\.(?:\s|$)/.test(line)) {
      // A hyperlink target with a URL stays (it is where named links point); comments go.
      const target = /^\.\.\s+_[^:]+:\s+(\S+)\s*$/.exec(line);
      if (target !== null) {
        resolve(target[1]!);
        out.push(line);
        i++;
        continue;
      }
      i = blockEnd(lines, i + 1, 0);
      continue;
    }
    if (/::[ \t]*$/.test(line)) {
      let j = i + 1;
      while (j < lines.length && lines[j]!.trim() === '') j++;
      const indent = /^\s*/.exec(line)![0].length;
      if (j < lines.length && /^\s*/.exec(lines[j]!)![0].length > indent) {
        const end = blockEnd(lines, j, indent);
        const lead =
          line.trim() === '::'
            ? null
            : line.replace(/(\s?)::[ \t]*$/, (_all, space: string) => (space === '' ? ':' : ''));
        if (lead !== null && lead.trim() !== '') out.push(inlineRst(lead, resolve));
        out.push(
          '',
          fencedCode(dedent(lines.slice(j, end)).join('\n').replace(/\s+$/, ''), null),
          '',
        );
        i = end;
        continue;
      }
    }
    out.push(inlineRst(line, resolve));
    i++;
  }
  return { markdown: normaliseMarkdown(out.join('\n')), title, links: [...links] };
}

/** Index after the block indented deeper than `indent` that starts at `from` (blank lines inside it included). */
function blockEnd(lines: string[], from: number, indent: number): number {
  let end = from;
  let j = from;
  while (j < lines.length) {
    const line = lines[j]!;
    if (line.trim() === '') {
      j++;
      continue;
    }
    if (/^\s*/.exec(line)![0].length <= indent) break;
    j++;
    end = j;
  }
  return end;
}

/** A directive's `:field: value` options and its dedented body. */
function splitBody(block: string[]): { fields: Record<string, string>; body: string } {
  const lines = dedent(block);
  const fields: Record<string, string> = {};
  let k = 0;
  while (k < lines.length) {
    const field = /^:([\w-]+):\s*(.*)$/.exec(lines[k]!);
    if (field === null) break;
    fields[field[1]!] = field[2]!.trim();
    k++;
  }
  return {
    fields,
    body: lines
      .slice(k)
      .join('\n')
      .replace(/^\s*\n/, '')
      .replace(/\s+$/, ''),
  };
}

/** Removes the indentation common to the non-blank lines. */
export function dedent(lines: string[]): string[] {
  let indent = Number.POSITIVE_INFINITY;
  for (const line of lines)
    if (line.trim() !== '') indent = Math.min(indent, /^\s*/.exec(line)![0].length);
  if (!Number.isFinite(indent)) return lines.map(() => '');
  return lines.map((line) => line.slice(Math.min(indent, line.length)));
}

/** `` `text <url>`_ `` and `` `text <url>`__ `` to markdown links; everything else as written. */
function inlineRst(text: string, resolve: (target: string) => string): string {
  return text.replace(
    /`([^`<]+?)\s*<([^>`]+)>`_{1,2}/g,
    (_all, label: string, target: string) =>
      `[${label.trim()}](${linkDestination(resolve(target))})`,
  );
}

/** Resolves a link target against the page URL and records it when it is crawlable. */
export function resolveLink(target: string, url: string | undefined, links: Set<string>): string {
  let resolved = target;
  if (url !== undefined) {
    try {
      resolved = resolveSourceLink(target, url);
    } catch {
      resolved = target;
    }
  }
  if (/^https?:\/\//i.test(resolved)) {
    try {
      const parsed = new URL(resolved);
      parsed.hash = '';
      links.add(parsed.href);
    } catch {
      // Not a URL: nothing to record.
    }
  }
  return resolved;
}

function capitalise(word: string): string {
  return word === '' ? word : word[0]!.toUpperCase() + word.slice(1);
}

function plainText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*`]/g, '')
    .trim();
}
