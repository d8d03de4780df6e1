import { parseAllDocuments } from 'yaml';
import { fencedCode } from './markdown-syntax.js';

/** A JSON or YAML body rendered as markdown. */
export interface DataMarkdown {
  title: string;
  markdown: string;
  warnings: string[];
}

/**
 * A JSON body as a `json` code block under a `#` title from the URL's file name, re-indented
 * with two spaces. Numbers and strings are copied as written (no round trip through
 * `JSON.parse`, which would round big integers). Invalid JSON is kept as it came, in a plain
 * code block, with an `invalid-json: …` warning.
 */
export function jsonToMarkdown(text: string, url: string): DataMarkdown {
  const title = fileNameOf(url);
  const source = text.replace(/^\uFEFF/, '');
  try {
    JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      title,
      markdown: `# ${title}\n\n${fencedCode(source.replace(/\s+$/, ''), null)}\n`,
      warnings: [`invalid-json: ${reason}`],
    };
  }
  return {
    title,
    markdown: `# ${title}\n\n${fencedCode(prettyJson(source), 'json')}\n`,
    warnings: [],
  };
}

/**
 * A YAML body as a `yaml` code block under a `#` title from the URL's file name. The text is
 * kept as written: YAML comments are often the documentation (Helm `values.yaml`), and
 * re-serialising would drop them. Invalid YAML gets an `invalid-yaml: …` warning.
 */
export function yamlToMarkdown(text: string, url: string): DataMarkdown {
  const title = fileNameOf(url);
  const source = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/\s+$/, '');
  const warnings: string[] = [];
  for (const document of parseAllDocuments(source)) {
    const error = 'errors' in document ? document.errors[0] : undefined;
    if (error !== undefined) {
      warnings.push(`invalid-yaml: ${error.message.split('\n')[0]}`);
      break;
    }
  }
  return { title, markdown: `# ${title}\n\n${fencedCode(source, 'yaml')}\n`, warnings };
}

/** Re-indents valid JSON token by token. */
export function prettyJson(source: string): string {
  const parts: string[] = [];
  let depth = 0;
  const newline = (): string => `\n${'  '.repeat(depth)}`;
  const n = source.length;
  let i = 0;
  while (i < n) {
    const ch = source[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < n && source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
      parts.push(source.slice(i, j + 1));
      i = j + 1;
    } else if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t') {
      i++;
    } else if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      let j = i + 1;
      while (j < n && /\s/.test(source[j]!)) j++;
      if (source[j] === close) {
        parts.push(ch + close);
        i = j + 1;
      } else {
        depth++;
        parts.push(ch + newline());
        i++;
      }
    } else if (ch === '}' || ch === ']') {
      depth--;
      parts.push(newline() + ch);
      i++;
    } else if (ch === ',') {
      parts.push(`,${newline()}`);
      i++;
    } else if (ch === ':') {
      parts.push(': ');
      i++;
    } else {
      let j = i;
      while (j < n && !/[\s,:\]}]/.test(source[j]!)) j++;
      parts.push(source.slice(i, j));
      i = j;
    }
  }
  return parts.join('');
}

/** The last path segment of a URL, percent-decoded (`…/values.yaml` → `values.yaml`), else the host. */
export function fileNameOf(url: string): string {
  try {
    const parsed = new URL(url);
    const segment = parsed.pathname
      .split('/')
      .filter((part) => part !== '')
      .pop();
    if (segment === undefined) return parsed.hostname;
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  } catch {
    return (
      url
        .split(/[/?#]/)
        .filter((part) => part !== '')
        .pop() ?? url
    );
  }
}
