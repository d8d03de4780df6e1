import { readFileSync } from 'node:fs';
import { Lexer, Marked, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { isScraperError } from '../errors.js';
import { htmlToMarkdown } from './html.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/extract/html/${name}`, import.meta.url), 'utf8');

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const decodeHtml = (html: string): string =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** Code blocks as a markdown reader gets them: exact text and language. */
function codeBlocks(markdown: string): { lang: string; text: string }[] {
  const out: { lang: string; text: string }[] = [];
  const visit = (tokens: Token[]): void => {
    for (const token of tokens) {
      if (token.type === 'code') {
        const code = token as Tokens.Code;
        out.push({ lang: code.lang ?? '', text: code.text });
      }
      const nested = token as { tokens?: Token[]; items?: Token[] };
      if (nested.items) visit(nested.items);
      else if (nested.tokens) visit(nested.tokens);
    }
  };
  visit(new Lexer({ gfm: true }).lex(markdown));
  return out;
}

function expectNormalised(markdown: string): void {
  expect(markdown.endsWith('\n')).toBe(true);
  expect(markdown).not.toMatch(/\n{3,}/);
  expect(markdown).not.toMatch(/[ \t]+\n/);
}

describe('htmlToMarkdown on a Hugo/Docsy page (etcd quickstart)', () => {
  const page = htmlToMarkdown(fixture('docsy-quickstart.html'), {
    url: 'https://etcd.io/docs/v3.6/quickstart/',
  });

  it('reads the page metadata', () => {
    expect(page.title).toBe('Quickstart');
    expect(page.breadcrumbs).toEqual(['Versions', 'v3.6.0', 'Quickstart']);
    expect(page.canonicalUrl).toBe('https://etcd.io/docs/v3.6/quickstart/');
    expect(page.language).toBe('en');
    expect(page.description).toBe('Get etcd up and running in less than 5 minutes!');
    expect(page.robots).toEqual({ noindex: false, nofollow: false });
  });

  it('leaves out navbar, sidebars, TOC, page-meta links, feedback, footer and cookie banner', () => {
    for (const chrome of [
      'Search this site',
      'Frequently Asked Questions',
      'View page source',
      'Edit this page',
      'Create child page',
      'Create documentation issue',
      'Print entire section',
      'Was this page helpful',
      'Glad to hear it',
      'Last modified',
      'The etcd Authors',
      'Privacy Policy',
      'We use cookies',
      'Versions',
      'td-navbar',
    ]) {
      expect(page.markdown).not.toContain(chrome);
    }
    // The TOC repeats the headings; only the headings themselves remain.
    expect(page.markdown.match(/Ports used by the examples/g)).toHaveLength(1);
    // Heading self-links are gone, not left as empty links.
    expect(page.markdown).toContain('## What’s next?\n');
    expect(page.markdown).not.toMatch(/\[\]\(/);
    expectNormalised(page.markdown);
  });

  it('keeps the lead, the ordered steps and the admonitions inside them', () => {
    expect(
      page.markdown.startsWith('# Quickstart\n\nGet etcd up and running in less than 5 minutes!\n'),
    ).toBe(true);
    expect(page.markdown).toContain(
      '1. Install etcd from pre-built binaries or from source. For details, see [Install](https://etcd.io/docs/v3.6/install/).\n\n' +
        '   > **Important**: Ensure that you perform the last step of the installation instructions to verify that `etcd` is in your path.\n',
    );
    expect(page.markdown).toContain('\n4. From the same terminal, retrieve the key:\n');
    expect(page.markdown).toContain(
      '  - Explore the gRPC [API](https://etcd.io/docs/v3.6/learning/api).\n',
    );
  });

  it('keeps every code block exactly, with its language and without line numbers', () => {
    const blocks = codeBlocks(page.markdown);
    expect(blocks.map((block) => block.lang)).toEqual([
      'console',
      'console',
      'console',
      'bash',
      'go',
    ]);
    expect(blocks[0]!.text).toBe(
      '$ etcd\n{"level":"info","ts":"2021-09-17T09:19:32.783-0400","caller":"etcdmain/etcd.go:72","msg":... }\n⋮',
    );
    expect(blocks[1]!.text).toBe('$ etcdctl put greeting "Hello, etcd"\nOK');
    expect(blocks[3]!.text).toBe(
      'etcd --name infra0 --initial-advertise-peer-urls http://10.0.1.10:2380 \\\n' +
        '  --listen-peer-urls http://10.0.1.10:2380 \\\n' +
        '  --initial-cluster-state new',
    );
    expect(blocks[4]!.text).toBe(
      'cli, err := clientv3.New(clientv3.Config{\n\tEndpoints:   []string{"localhost:2379"},\n\n\tDialTimeout: 5 * time.Second,\n})',
    );
  });

  it('writes the table as a GFM table with alignment, escaped pipes and <br> as a space', () => {
    expect(page.markdown).toContain(
      [
        '| Port | Used for | Default |',
        '| :--- | :--- | ---: |',
        '| `2379` | Client requests (`--listen-client-urls`) | yes |',
        '| `2380` | Peer communication between members \\| raft | yes |',
      ].join('\n'),
    );
  });

  it('lists every link of the page for the crawler, navigation included', () => {
    expect(page.links).toContain('https://etcd.io/docs/v3.5/');
    expect(page.links).toContain('https://etcd.io/docs/v3.6/faq/');
    expect(page.links).toContain('https://etcd.io/docs/v3.6/op-guide/configuration/');
    expect(page.links.every((link) => /^https?:\/\//.test(link) && !link.includes('#'))).toBe(true);
    expect(
      page.links.some((link) => link.startsWith('mailto:') || link.startsWith('javascript:')),
    ).toBe(false);
    expect(new Set(page.links).size).toBe(page.links.length);
  });
});

describe('htmlToMarkdown on an MkDocs Material page', () => {
  const page = htmlToMarkdown(fixture('mkdocs-material.html'), {
    url: 'https://docs.example.org/guides/node-exporter/',
  });

  it('reads title, path breadcrumbs, language and canonical URL', () => {
    expect(page.title).toBe('Monitoring Linux host metrics with the Node Exporter');
    expect(page.breadcrumbs).toEqual(['Home', 'Guides']);
    expect(page.language).toBe('en-GB');
    expect(page.canonicalUrl).toBe('https://docs.example.org/guides/node-exporter/');
  });

  it('leaves out header, tabs, sidebars, edit button, last-update line, feedback and footer', () => {
    for (const chrome of [
      'Skip to content',
      'Join us at PromCon',
      'Table of contents',
      'Securing endpoints with basic auth',
      'Go to repository',
      'Made with',
      'Previous',
      'May 6, 2025',
      'Was this page helpful',
      'Back to top',
      '¶',
    ]) {
      expect(page.markdown).not.toContain(chrome);
    }
    expectNormalised(page.markdown);
  });

  it('keeps Pygments code exactly, without the line-number column or anchors', () => {
    const blocks = codeBlocks(page.markdown);
    expect(blocks.map((block) => block.lang)).toEqual(['bash', '', 'text', 'text', 'yaml']);
    expect(blocks[0]!.text.split('\n')).toEqual([
      '# NOTE: Replace the URL with one from the above mentioned "downloads" page.',
      '# <VERSION>, <OS>, and <ARCH> are placeholders.',
      'wget https://github.com/prometheus/node_exporter/releases/download/v<VERSION>/node_exporter-<VERSION>.<OS>-<ARCH>.tar.gz',
      'tar xvfz node_exporter-*.*-amd64.tar.gz',
      'cd node_exporter-*.*-amd64',
      './node_exporter',
    ]);
    expect(blocks[1]!.text.startsWith('INFO[0000] Starting node_exporter (version=0.16.0')).toBe(
      true,
    );
    expect(blocks[1]!.text.split('\n')).toHaveLength(3);
    expect(blocks[4]!.text).toBe(
      "global:\n  scrape_interval: 15s\n\nscrape_configs:\n- job_name: node\n  static_configs:\n  - targets: ['localhost:9100']",
    );
  });

  it('turns the admonition, the collapsible note and the content tabs into readable blocks', () => {
    expect(page.markdown).toContain(
      '> **Note:** While the Prometheus Node Exporter is for \\*nix systems, there is the [Windows exporter](https://github.com/prometheus-community/windows_exporter) for Windows that serves an analogous purpose.',
    );
    expect(page.markdown).toContain(
      '> **Exposing the exporter publicly:** Do not expose port 9100 to the internet without *authentication*.',
    );
    expect(page.markdown).toContain('**Linux**\n\n```text\nsystemctl start node_exporter\n```');
    expect(page.markdown).toContain('**macOS**\n\n```text\nbrew services start node_exporter\n```');
  });

  it('writes definition lists and tables with inline code in cells', () => {
    expect(page.markdown).toContain(
      '**`--collector.textfile.directory`**\n: Directory to read text files with metrics from.',
    );
    expect(page.markdown).toContain(
      '| `rate(node_cpu_seconds_total{mode="system"}[1m])` | The average amount of CPU time spent in system mode, per second, over the last minute (in seconds) |',
    );
  });

  it('resolves relative links against the page', () => {
    expect(page.markdown).toContain(
      '[`prometheus.yml`](https://docs.example.org/prometheus/latest/configuration/configuration/#scrape_config)',
    );
    expect(page.markdown).toContain(
      '[downloads page](https://docs.example.org/download#node_exporter)',
    );
  });
});

describe('htmlToMarkdown on a Docusaurus page', () => {
  const page = htmlToMarkdown(fixture('docusaurus.html'), {
    url: 'https://monitoring.example.dev/docs/guides/file-sd',
  });

  it('reads robots directives, breadcrumbs and the title from the h1 in the markdown header', () => {
    expect(page.robots).toEqual({ noindex: true, nofollow: true });
    expect(page.breadcrumbs).toEqual(['Guides', 'File-based service discovery']);
    expect(page.title).toBe('Use file-based service discovery to discover scrape targets');
    expect(
      page.markdown.startsWith('# Use file-based service discovery to discover scrape targets\n'),
    ).toBe(true);
  });

  it('leaves out navbar, announcement, sidebar, TOC, edit link, last-updated, pagination and footer', () => {
    for (const chrome of [
      'Skip to main content',
      'give it a star',
      'Query log',
      'On this page',
      'Edit this page',
      'Last updated',
      'Previous',
      'Built with Docusaurus',
      'Stack Overflow',
      'Copy',
      'Direct link',
    ]) {
      expect(page.markdown).not.toContain(chrome);
    }
    expectNormalised(page.markdown);
  });

  it('keeps both tab panels (the hidden one too) under their labels', () => {
    expect(page.markdown).toContain(
      '**npm**\n\n```bash\nnpm install --save @example/node-exporter\n```',
    );
    expect(page.markdown).toContain('**Yarn**\n\n```bash\nyarn add @example/node-exporter\n```');
  });

  it('rebuilds Prism code from its <br>-separated lines, blank line included', () => {
    const json = codeBlocks(page.markdown).find((block) => block.lang === 'json');
    expect(json?.text).toBe(
      '[\n  {\n    "labels": {\n      "job": "node"\n    },\n\n    "targets": ["localhost:9100"]\n  }\n]',
    );
  });

  it('writes admonitions with their titles, a table with colspan, and task lists', () => {
    expect(page.markdown).toContain(
      '> **Tip:** Prometheus re-reads the file whenever it changes, so there is no need to restart it.\n>\n> Use `refresh_interval` to control the fallback re-read period.',
    );
    expect(page.markdown).toContain(
      '> **Keep targets valid:**\n>\n> - Every target needs a `host:port`.\n> - Labels must be strings.',
    );
    expect(page.markdown).toContain(
      [
        '| Option | Default | Description |',
        '| --- | :---: | --- |',
        '| `files` | — | Patterns for files from which target groups are extracted, e.g. `my/path/tg_*.json`. |',
        '| `refresh_interval` | `5m` | Refresh interval to re-read the files. |',
        '| *Note* |  | Values use the [duration](https://prometheus.io/docs/prometheus/latest/configuration/configuration/#duration) format. |',
      ].join('\n'),
    );
    expect(page.markdown).toContain('- [x] Targets file written\n- [ ] Prometheus restarted\n');
    expect(page.markdown).toContain(
      '> **What about DNS?** DNS-based discovery is covered in its own guide.',
    );
  });
});

describe('htmlToMarkdown on hand-written edge cases', () => {
  const url = 'https://docs.example.org/a/b/page.html';

  it('survives malformed HTML: unclosed paragraphs, list items, cells and divs', () => {
    const page = htmlToMarkdown(
      '<html><body><main><h1>Broken</h1><p>First para<p>Second <b>bold<ul><li>one<li>two</ul><table><tr><th>a<th>b<tr><td>1<td>2</table><div><p>tail',
      { url },
    );
    expect(page.title).toBe('Broken');
    expect(page.markdown).toContain('First para\n\nSecond bold\n\n- one');
    expect(page.markdown).toContain('- one\n- two');
    expect(page.markdown).toContain('| a | b |\n| --- | --- |\n| 1 | 2 |');
    expect(page.markdown).toContain('tail\n');
  });

  it('falls back to the body without header, nav, footer and aside when there is no main content element', () => {
    const page = htmlToMarkdown(
      `<!doctype html><html><head><title>Install | etcd</title></head><body>
        <header><a href="/">Home</a><nav><a href="/docs/">Docs</a></nav></header>
        <aside class="sidebar"><ul><li><a href="/x/">Sidebar link</a></li></ul></aside>
        <p>Body text with a <a href="../c/">relative link</a>.</p>
        <footer>Copyright</footer></body></html>`,
      { url },
    );
    expect(page.markdown).toBe(
      'Body text with a [relative link](https://docs.example.org/a/c/).\n',
    );
    expect(page.title).toBe('Install');
    expect(page.links).toEqual([
      'https://docs.example.org/',
      'https://docs.example.org/docs/',
      'https://docs.example.org/x/',
      'https://docs.example.org/a/c/',
    ]);
  });

  it('respects <base href> for links, images and the canonical URL', () => {
    const page = htmlToMarkdown(
      `<html><head><base href="https://cdn.example.net/v2/"><link rel="canonical" href="guide/"></head>
       <body><main><p><a href="intro/">Intro</a> <img src="img/x.png" alt="Diagram [1]"></p></main></body></html>`,
      { url },
    );
    expect(page.canonicalUrl).toBe('https://cdn.example.net/v2/guide/');
    expect(page.markdown).toBe(
      '[Intro](https://cdn.example.net/v2/intro/) ![Diagram \\[1\\]](https://cdn.example.net/v2/img/x.png)\n',
    );
    expect(page.links).toEqual(['https://cdn.example.net/v2/intro/']);
  });

  it('drops hidden, aria-hidden and display:none elements, scripts, styles and SVG', () => {
    const page = htmlToMarkdown(
      `<main><p>Shown</p><p hidden>Hidden attr</p><p aria-hidden="true">Aria</p>
       <div style="color:red; display: none">Styled away</div><script>var x = "script";</script>
       <style>p { color: red }</style><noscript>Enable JS</noscript><svg><text>svg text</text></svg></main>`,
      { url },
    );
    expect(page.markdown).toBe('Shown\n');
  });

  it('escapes text that would otherwise become markup, and round-trips through a markdown parser', () => {
    const page = htmlToMarkdown(
      '<main><p># not a heading</p><p>1. not a list</p><p>a * b _c_ `d` [e](f) &lt;tag&gt; snake_case</p></main>',
      { url },
    );
    expect(page.markdown).toBe(
      '\\# not a heading\n\n1\\. not a list\n\na * b \\_c_ \\`d\\` \\[e](f) \\<tag> snake_case\n',
    );
    const tokens = new Lexer({ gfm: true }).lex(page.markdown);
    expect(tokens.filter((token) => token.type === 'paragraph')).toHaveLength(3);
  });

  // Sentences from the etcd and Prometheus docs whose brackets, underscores and operators were
  // written as `\[key`, `acme\_`, `5 \* interval`: escapes a reader of the markdown has to skip.
  const literalParagraphs = [
    'Label names beginning with "__" are reserved; prefixes such as acme_, go_ and process_ are not.',
    'Any character that is not in the legacy character set (a-zA-Z0-9_:) MUST be replaced.',
    'value_1 <= value_2 <= value_+Inf, and _created samples are no longer used.',
    'range_end is the key following the range [key, range_end), with byte[] values; [roleName] as string.',
    'at least 5 * heartbeat-interval, decreased by 5~8% and increased by 20~30%, ~5s in all.',
    'listen-<client,peer>-urls is no tag, <b> and <span class="x"> would be, and so would <mailto:x>.',
    '[new_issue]: /issues/new is no link reference definition, [x](y) and [z][w] no links.',
    '*not emphasis* _nor this_ **nor strong** ~~nor struck~~ `nor code`, C:\\dir and &amp; stay.',
  ];

  it('escapes only what a markdown parser would read as markup, so real sentences stay literal', () => {
    const html = literalParagraphs.map((text) => `<p>${escapeHtml(text)}</p>`).join('');
    const page = htmlToMarkdown(`<main>${html}<p>x<br> * not a list item</p></main>`, { url });
    const lines = page.markdown.split('\n\n');
    expect(lines.slice(0, 5)).toEqual([
      'Label names beginning with "\\_\\_" are reserved; prefixes such as acme_, go_ and process_ are not.',
      'Any character that is not in the legacy character set (a-zA-Z0-9_:) MUST be replaced.',
      'value_1 <= value_2 <= value_+Inf, and \\_created samples are no longer used.',
      'range_end is the key following the range [key, range_end), with byte[] values; [roleName] as string.',
      'at least 5 * heartbeat-interval, decreased by 5\\~8% and increased by 20\\~30%, \\~5s in all.',
    ]);
    // Rendered, every paragraph reads exactly as the page did: no tag, link, emphasis or list.
    const rendered = new Marked({ gfm: true }).parse(page.markdown) as string;
    expect(rendered).not.toMatch(/<(?:em|strong|del|a|code|b|ul|li)\b/);
    const texts = [...rendered.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((match) =>
      decodeHtml(match[1]!.replace(/<br>\n?/g, '\n')),
    );
    expect(texts).toEqual([...literalParagraphs, 'x\n* not a list item']);
  });

  it('keeps a link in a sentence even when its words are those of an issue or edit widget', () => {
    // The etcd FAQ (test/fixtures/docs/etcd/v3.6/faq.md) asks readers to open an issue; the
    // page-meta links of the same page say "Create an issue" and "Edit this page".
    const page = htmlToMarkdown(
      `<main><p>If none of the above suggestions clear the warnings, please <a href="https://github.com/etcd-io/etcd/issues/new">open an issue</a> with detailed logging, monitoring, metrics and optionally workload information.</p>
       <div class="meta"><a href="https://github.com/etcd-io/website/issues/new">Create an issue</a> <a href="https://github.com/etcd-io/website/edit/main/faq.md"><span>Edit this page</span></a></div>
       <p><a href="https://github.com/etcd-io/website/edit/main/faq.md">Edit this page</a></p>
       <ul><li><a href="https://github.com/etcd-io/etcd/issues/new">Report an issue</a></li></ul></main>`,
      { url },
    );
    expect(page.markdown).toBe(
      'If none of the above suggestions clear the warnings, please [open an issue](https://github.com/etcd-io/etcd/issues/new) with detailed logging, monitoring, metrics and optionally workload information.\n',
    );
  });

  it('keeps a link apart from the text around it when its brackets are in separate runs', () => {
    const page = htmlToMarkdown('<main><p>[<code>key</code>](value) and [<em>x</em>]</p></main>', {
      url,
    });
    const rendered = new Marked({ gfm: true }).parse(page.markdown) as string;
    expect(rendered).not.toMatch(/<a\b/);
    expect(decodeHtml(rendered.replace(/<[^>]+>/g, ''))).toBe('[key](value) and [x]\n');
  });

  it('uses a longer fence when the code contains one, and keeps entities decoded and whitespace as is', () => {
    const page = htmlToMarkdown(
      '<main><pre><code class="lang-markdown">Use\n```\nfences\n```\n  &lt;b&gt; &amp;   spaced\n\n\nend\n</code></pre></main>',
      { url },
    );
    expect(page.markdown).toBe(
      '````markdown\nUse\n```\nfences\n```\n  <b> &   spaced\n\n\nend\n````\n',
    );
  });

  it('writes <br> as a hard break, nested and numbered lists, blockquotes and rules', () => {
    const page = htmlToMarkdown(
      `<main><p>line one<br>line two</p><ol start="3"><li>three<ul><li>nested</li></ul></li><li>four</li></ol>
       <blockquote><p>quoted</p><p>twice</p></blockquote><hr><p>after</p></main>`,
      { url },
    );
    expect(page.markdown).toBe(
      'line one\\\nline two\n\n3. three\n   - nested\n4. four\n\n> quoted\n>\n> twice\n\n---\n\nafter\n',
    );
  });

  it('takes the title from <title> without the site suffix when the content has no h1', () => {
    const html = (title: string, site = ''): string =>
      `<html><head><title>${title}</title>${site}</head><body><main><p>x</p></main></body></html>`;
    expect(htmlToMarkdown(html('Install | etcd'), { url }).title).toBe('Install');
    expect(htmlToMarkdown(html('Set up - step 1'), { url }).title).toBe('Set up - step 1');
    expect(
      htmlToMarkdown(
        html('Install - Material', '<meta property="og:site_name" content="Material">'),
        { url },
      ).title,
    ).toBe('Install');
    expect(
      htmlToMarkdown(
        '<html><head><meta property="og:title" content="OG title"></head><body><p>x</p></body></html>',
        {
          url,
        },
      ).title,
    ).toBe('OG title');
  });

  it('reads the robots meta tag, none meaning both', () => {
    const robots = (content: string) =>
      htmlToMarkdown(`<head><meta name="robots" content="${content}"></head><p>x</p>`, { url })
        .robots;
    expect(robots('noindex')).toEqual({ noindex: true, nofollow: false });
    expect(robots('NONE')).toEqual({ noindex: true, nofollow: true });
    expect(robots('index, follow')).toEqual({ noindex: false, nofollow: false });
  });

  it('writes a deeply nested page as text instead of overflowing the stack', () => {
    const depth = 5000;
    const page = htmlToMarkdown(
      `<main>${'<div>'.repeat(depth)}deep text${'</div>'.repeat(depth)}</main>`,
      {
        url,
      },
    );
    expect(page.markdown).toBe('deep text\n');
  });

  it('rejects a page URL that is not absolute', () => {
    let caught: unknown;
    try {
      htmlToMarkdown('<p>x</p>', { url: '/relative' });
    } catch (error) {
      caught = error;
    }
    expect(isScraperError(caught, 'invalid-options')).toBe(true);
  });
});
