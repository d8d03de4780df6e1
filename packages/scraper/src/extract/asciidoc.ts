import { fencedCode, linkDestination, normaliseMarkdown, prefixLines } from './markdown-syntax.js';
import { type CleanedMarkup, resolveLink } from './rst.js';

const ADMONITION_TYPES = new Set(['NOTE', 'TIP', 'IMPORTANT', 'WARNING', 'CAUTION']);
const DELIMITERS = /^(-{4,}|\.{4,}|={4,}|\*{4,}|_{4,}|\+{4,}|\/{4,})[ \t]*$/;

/**
 * Light cleaning of AsciiDoc: `=` section titles become `#` headings, `[source,lang]` listing
 * blocks and literal blocks fenced code, `NOTE:` paragraphs and `[NOTE]` blocks blockquotes,
 * `link:`/URL macros markdown links; `include::`, `toc::`, conditional directives, attribute
 * entries and comments are dropped. Everything else passes through as written.
 */
export function cleanAsciidoc(source: string, options: { url?: string } = {}): CleanedMarkup {
  const lines = source
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const out: string[] = [];
  const links = new Set<string>();
  let title = '';
  let pendingStyle: string[] | null = null;
  const resolve = (target: string): string => resolveLink(target, options.url, links);
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const delimiter = DELIMITERS.exec(line);
    if (delimiter !== null) {
      const marker = delimiter[1]!;
      let end = i + 1;
      while (end < lines.length && lines[end]!.trimEnd() !== marker) end++;
      const inner = lines.slice(i + 1, end);
      const style = pendingStyle;
      pendingStyle = null;
      i = end + 1;
      const kind = marker[0];
      if (kind === '/') continue;
      if (kind === '-' || kind === '.') {
        const language =
          style !== null && style[0] === 'source' ? (style[1] ?? '').trim().toLowerCase() : '';
        out.push('', fencedCode(inner.join('\n'), language === '' ? null : language), '');
      } else if (kind === '=' && style !== null && ADMONITION_TYPES.has(style[0]!)) {
        const body = cleanAsciidoc(inner.join('\n'), options);
        for (const link of body.links) links.add(link);
        out.push(
          '',
          prefixLines(`**${capitalise(style[0]!)}:** ${body.markdown.trim()}`, '> '),
          '',
        );
      } else if (kind === '_') {
        const body = cleanAsciidoc(inner.join('\n'), options);
        for (const link of body.links) links.add(link);
        out.push('', prefixLines(body.markdown.trim(), '> '), '');
      } else if (kind === '+') {
        out.push(...inner);
      } else {
        const body = cleanAsciidoc(inner.join('\n'), options);
        for (const link of body.links) links.add(link);
        out.push('', body.markdown.trim(), '');
      }
      continue;
    }
    if (/^\/\/(?!\/)/.test(line)) {
      i++;
      continue;
    }
    if (
      /^(?:include|toc|ifdef|ifndef|ifeval|endif)::[^[]*\[.*\][ \t]*$/.test(line) ||
      /^:!?[\w-]+!?:(?:[ \t].*)?$/.test(line)
    ) {
      i++;
      continue;
    }
    const heading = /^(={1,6})[ \t]+(.+?)(?:[ \t]+=+)?[ \t]*$/.exec(line);
    if (heading !== null) {
      const text = inline(heading[2]!, resolve);
      if (title === '') title = text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
      out.push('', `${'#'.repeat(heading[1]!.length)} ${text}`, '');
      pendingStyle = null;
      i++;
      continue;
    }
    const attributes = /^\[([^\]]*)\][ \t]*$/.exec(line);
    if (attributes !== null && !line.startsWith('[[')) {
      pendingStyle = attributes[1]!.split(',').map((part) => part.trim());
      i++;
      continue;
    }
    if (/^\.[A-Za-z0-9]/.test(line) && !line.startsWith('..')) {
      out.push(`**${inline(line.slice(1).trim(), resolve)}**`);
      i++;
      continue;
    }
    const admonition = /^(NOTE|TIP|IMPORTANT|WARNING|CAUTION):[ \t]+(.*)$/.exec(line);
    if (admonition !== null) {
      const paragraph = [admonition[2]!];
      i++;
      while (i < lines.length && lines[i]!.trim() !== '') paragraph.push(lines[i++]!);
      out.push(
        '',
        prefixLines(
          `**${capitalise(admonition[1]!)}:** ${inline(paragraph.join('\n'), resolve)}`,
          '> ',
        ),
        '',
      );
      continue;
    }
    if (line.trim() === '') pendingStyle = null;
    out.push(inline(line, resolve));
    i++;
  }
  return { markdown: normaliseMarkdown(out.join('\n')), title, links: [...links] };
}

/** Link macros to markdown links; cross references to their text. */
function inline(text: string, resolve: (target: string) => string): string {
  return text
    .replace(
      /(?:link:)?(https?:\/\/[^\s[\]]+)\[([^\]]*)\]/g,
      (_all, url: string, label: string) => {
        const target = linkDestination(resolve(url));
        return `[${cleanLabel(label) || url}](${target})`;
      },
    )
    .replace(
      /link:([^\s[\]]+)\[([^\]]*)\]/g,
      (_all, url: string, label: string) =>
        `[${cleanLabel(label) || url}](${linkDestination(resolve(url))})`,
    )
    .replace(
      /xref:([^\s[\]]+)\[([^\]]*)\]/g,
      (_all, target: string, label: string) => cleanLabel(label) || target,
    )
    .replace(
      /<<([^,>]+)(?:,\s*([^>]+))?>>/g,
      (_all, id: string, label: string | undefined) => label?.trim() || id.trim(),
    )
    .replace(
      /(^|[\s(])(https?:\/\/[^\s<>[\]]+[^\s<>[\].,;:!?)])/g,
      (all, _lead: string, url: string) => {
        // Bare URLs are links in AsciiDoc too: record them, leave the text as it is.
        resolve(url);
        return all;
      },
    );
}

/** `text^` (open in a new window) and `window=_blank` are rendering hints, not text. */
function cleanLabel(label: string): string {
  return label
    .replace(/,\s*window=\w+/, '')
    .replace(/\^$/, '')
    .replace(/^"(.*)"$/, '$1')
    .trim();
}

function capitalise(word: string): string {
  return word.charAt(0) + word.slice(1).toLowerCase();
}
