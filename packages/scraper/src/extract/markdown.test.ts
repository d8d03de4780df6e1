import { readFileSync } from 'node:fs';
import { Lexer, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';
import { cleanMarkdown } from './markdown.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/extract/${name}`, import.meta.url), 'utf8');

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

describe('cleanMarkdown on the real etcd docs (Hugo/Docsy)', () => {
  it('parses the front matter and turns alerts inside list items into indented blockquotes', () => {
    const source = fixture('etcd/quickstart.md');
    const page = cleanMarkdown(source, {
      url: 'https://etcd.io/docs/v3.6/quickstart/',
      params: { version: 'v3.6' },
    });
    expect(page.title).toBe('Quickstart');
    expect(page.frontMatter).toEqual({
      title: 'Quickstart',
      weight: 900,
      description: 'Get etcd up and running in less than 5 minutes!',
    });
    expect(page.markdown.startsWith('Follow these instructions')).toBe(true);
    expect(page.markdown).not.toContain('{{%');
    expect(page.markdown).toContain(
      '    > **Important**: Ensure that you perform the last\n    > step of the installation instructions',
    );
    // The code blocks are the source's, byte for byte.
    const sourceCode = codeBlocks(source);
    expect(codeBlocks(page.markdown)).toEqual(sourceCode);
    expect(sourceCode).toHaveLength(3);
  });

  it('resolves reference links, {{< param >}} in them, and relative links against the page', () => {
    const page = cleanMarkdown(fixture('etcd/quickstart.md'), {
      url: 'https://etcd.io/docs/v3.6/quickstart/',
      params: { version: 'v3.6' },
    });
    expect(page.markdown).toContain('[api]: https://etcd.io/docs/v3.6/learning/api\n');
    expect(page.markdown).toContain('[Install]: https://etcd.io/docs/v3.6/install/\n');
    expect(page.markdown).toContain(
      '[logs](https://etcd.io/docs/v3.6/op-guide/configuration/#logging)',
    );
    expect(page.links).toContain('https://etcd.io/docs/v3.6/op-guide/configuration/');
    expect(page.links).toContain('https://etcd.io/docs/v3.6/tuning');
    expect(page.links.every((link) => !link.includes('#'))).toBe(true);
  });

  it('turns relref shortcodes into page URLs and keeps unknown params as written', () => {
    const page = cleanMarkdown(fixture('etcd/install.md'), {
      url: 'https://etcd.io/docs/v3.6/install/',
    });
    expect(page.markdown).toContain(
      '[Hardware recommendations]: https://etcd.io/docs/v3.6/op-guide/hardware/\n',
    );
    expect(page.markdown).toContain('[Quickstart]: https://etcd.io/docs/v3.6/quickstart/\n');
    expect(page.links).toContain('https://etcd.io/docs/v3.6/op-guide/supported-platform/');
    // Without a value for the param, the shortcode stays, and no half-URL is made of it.
    expect(page.markdown).toContain(
      'choosing release [{{< param git_version_tag >}}][tagged-release]',
    );
    expect(page.links.some((link) => link.includes('%7B'))).toBe(false);
    expect(page.markdown).toContain(
      '> **Warning:** etcd installations through OS package managers can deliver outdated versions',
    );
  });

  it("fills {{< param >}} from the page's own front matter, whatever the name's case", () => {
    // install.md sets `minGoVers: 1.21` in its front matter; before, the shortcode stayed.
    const page = cleanMarkdown(fixture('etcd/install.md'), {
      url: 'https://etcd.io/docs/v3.6/install/',
    });
    expect(page.markdown).toContain('If you have [Go version 1.21+][go], you can build etcd');
    expect(page.markdown).not.toContain('minGoVers');
    const nested = cleanMarkdown(
      '---\nparams:\n  Owner: docs\nlinks:\n  repo: etcd-io/etcd\n---\nBy {{< param owner >}} in {{< param "links.repo" >}}.\n',
    );
    expect(nested.markdown).toBe('By docs in etcd-io/etcd.\n');
  });

  it('never touches shortcode-looking text inside code fences', () => {
    const source = fixture('etcd/install.md');
    const page = cleanMarkdown(source, {
      url: 'https://etcd.io/docs/v3.6/install/',
      params: { git_version_tag: 'v3.6.0' },
    });
    expect(codeBlocks(page.markdown)).toEqual(codeBlocks(source));
    expect(page.markdown).toContain('    etcd Version: {{< psubstr git_version_tag 1 >}}\n');
    // Outside code the same param is substituted.
    expect(page.markdown).toContain('choosing release [v3.6.0][tagged-release]');
  });

  it('keeps a warning alert without a title as a plain blockquote, its icon markup removed', () => {
    const page = cleanMarkdown(fixture('etcd/configuration.md'), {
      url: 'https://etcd.io/docs/v3.6/op-guide/configuration/',
    });
    expect(page.markdown).toContain(
      '> **Caution**: If you mix-and-match configuration options, then the following\n> rules apply.\n>\n> - Command-line flags take precedence over environment variables.',
    );
    expect(page.markdown).not.toContain('<i class=');
    expect(page.markdown).not.toContain('markdownlint');
  });

  it('turns {{< figure >}} into an image and keeps raw HTML tables', () => {
    const page = cleanMarkdown(fixture('etcd/persistent-storage-files.md'), {
      url: 'https://etcd.io/docs/v3.6/learning/persistent-storage-files/',
    });
    expect(page.markdown).toContain(
      '![](https://etcd.io/img/persistent-storage-files-figure-01.png)',
    );
    expect(page.markdown).toContain('<td><pre>./member/snap/db</pre></td>');
    expect(page.links).not.toContain('https://etcd.io/img/persistent-storage-files-figure-01.png');
  });
});

describe('cleanMarkdown on the real Prometheus docs', () => {
  it('keeps YAML front matter, code fences and tables with HTML in cells unchanged', () => {
    const source = fixture('prometheus/exposition_formats.md');
    const page = cleanMarkdown(source, {
      url: 'https://prometheus.io/docs/instrumenting/exposition_formats/',
    });
    expect(page.title).toBe('Exposition formats');
    expect(page.frontMatter.sort_rank).toBe(6);
    expect(codeBlocks(page.markdown)).toEqual(codeBlocks(source));
    expect(page.markdown).toContain(
      '| **Advantages**                       | <ul><li>Human-readable</li><li>Easy to assemble,',
    );
  });

  it('resolves site-absolute links against the page origin', () => {
    const page = cleanMarkdown(fixture('prometheus/first_steps.md'), {
      url: 'https://prometheus.io/docs/introduction/first_steps/',
    });
    expect(page.title).toBe('First steps with Prometheus');
    expect(page.markdown).toContain(
      '[Download the latest release](https://prometheus.io/download) of Prometheus',
    );
    expect(page.links).toContain('https://prometheus.io/download');
    expect(codeBlocks(page.markdown)[0]).toEqual({
      lang: 'language-bash',
      text: 'tar xvfz prometheus-*.tar.gz\ncd prometheus-*',
    });
  });
});

describe('cleanMarkdown on a file read from its GitHub repository', () => {
  it('resolves root-relative links from the repository root, as GitHub shows the file', () => {
    const page = cleanMarkdown(fixture('prometheus/first_steps.md'), {
      url: 'https://github.com/prometheus/docs/blob/c105550aad07161f62d02e305ed09799ec6025fa/docs/introduction/first_steps.md',
    });
    // Before: https://github.com/download, https://github.com/docs/operating/configuration.
    expect(page.markdown).toContain(
      '[Download the latest release](https://github.com/prometheus/docs/blob/c105550aad07161f62d02e305ed09799ec6025fa/download) of Prometheus',
    );
    expect(page.links).toContain(
      'https://github.com/prometheus/docs/blob/c105550aad07161f62d02e305ed09799ec6025fa/docs/operating/configuration',
    );
    expect(
      page.links.filter((link) => /^https:\/\/github\.com\/(?:download|docs)\//.test(link)),
    ).toEqual([]);
    const raw = cleanMarkdown(
      '[Overview](/docs/introduction/overview) and [x](//cdn.example/y)\n',
      {
        url: 'https://raw.githubusercontent.com/prometheus/docs/main/docs/introduction/first_steps.md',
      },
    );
    expect(raw.links).toEqual([
      'https://raw.githubusercontent.com/prometheus/docs/main/docs/introduction/overview',
      'https://cdn.example/y',
    ]);
  });
});

describe('cleanMarkdown on MDX (Docusaurus)', () => {
  const page = cleanMarkdown(fixture('markup/file-sd.mdx'), {
    url: 'https://monitoring.example.dev/docs/guides/file-sd.mdx',
  });
  // The prose before the one code block, which quotes imports and JSX on purpose.
  const prose = page.markdown.slice(0, page.markdown.indexOf('```jsx'));

  it('drops imports, exports and MDX comments, and reads the title from front matter', () => {
    expect(page.title).toBe('Use file-based service discovery');
    expect(page.frontMatter.tags).toEqual(['guides', 'service-discovery']);
    expect(prose).not.toMatch(/^import /m);
    expect(prose).not.toContain('export const meta');
    expect(page.markdown).not.toContain('docs team only');
    expect(page.markdown.startsWith('Prometheus offers a variety')).toBe(true);
  });

  it('turns tabs into labelled sections and directives and <Admonition> into blockquotes', () => {
    expect(page.markdown).toContain(
      '**npm**\n\n```bash\nnpm install --save @example/node-exporter\n```',
    );
    expect(page.markdown).toContain('**Yarn**\n\n```bash\nyarn add @example/node-exporter\n```');
    expect(page.markdown).toContain(
      '> **Reloading:** Prometheus re-reads the file whenever it changes. No `{{< restart >}}` needed.',
    );
    expect(page.markdown).toContain('> **Warning:** The targets file must be valid JSON.');
    expect(page.markdown).toContain(
      '> **Labels:** Every label value in `<TargetsTable />` is a string.',
    );
    expect(prose).not.toContain('<Tabs');
    expect(prose).not.toContain('TabItem');
    expect(prose).not.toContain(':::');
  });

  it('leaves JSX and directive look-alikes inside a code fence alone', () => {
    expect(page.markdown).toContain(
      '```jsx title="src/components/Targets.jsx"\nimport Tabs from \'@theme/Tabs\';\n\nexport default function Targets() {\n  return <Tabs>{/* :::note not a directive */}</Tabs>;\n}\n```',
    );
    expect(page.links).toEqual([
      'https://monitoring.example.dev/docs/configuration/',
      'https://monitoring.example.dev/docs/guides/query-log.mdx',
    ]);
  });
});

describe('cleanMarkdown on small cases', () => {
  it('reads TOML front matter', () => {
    const page = cleanMarkdown(
      '+++\ntitle = "Thanos \\"Sidecar\\""\nweight = 3\ndraft = false\ntags = ["a", "b"]\n[params]\nowner = \'docs\'\n+++\n\n# Heading\n',
    );
    expect(page.frontMatter).toEqual({
      title: 'Thanos "Sidecar"',
      weight: 3,
      draft: false,
      tags: ['a', 'b'],
      params: { owner: 'docs' },
    });
    expect(page.title).toBe('Thanos "Sidecar"');
    expect(page.markdown).toBe('# Heading\n');
  });

  it('falls back to the first # heading for the title and warns about broken front matter', () => {
    const page = cleanMarkdown(
      '---\ntitle: [unclosed\n---\nIntro\n\n# The *real* title {#custom-id}\n',
    );
    expect(page.title).toBe('The real title');
    expect(page.frontMatter).toEqual({});
    expect(page.warnings).toHaveLength(1);
    expect(page.warnings[0]).toMatch(/^front-matter-invalid: /);
    expect(page.markdown).toBe('Intro\n\n# The *real* title\n');
  });

  it('converts highlight, tabpane/tab with a language, and removes unknown shortcodes but keeps their text', () => {
    const source = [
      '{{< highlight go "linenos=table" >}}',
      'func main() {',
      '\tfmt.Println("{{ .Name }}")',
      '}',
      '{{< /highlight >}}',
      '',
      '{{< tabpane >}}',
      '{{< tab header="Linux" lang="bash" >}}',
      'apt install etcd',
      '{{< /tab >}}',
      '{{< /tabpane >}}',
      '',
      'Before {{< mark >}}kept text{{< /mark >}} after {{< unknown-single arg >}}end.',
      '',
      'Literal: {{</* alert */>}}',
    ].join('\n');
    const page = cleanMarkdown(source);
    expect(page.markdown).toBe(
      [
        '```go',
        'func main() {',
        '\tfmt.Println("{{ .Name }}")',
        '}',
        '```',
        '',
        '**Linux**',
        '',
        '```bash',
        'apt install etcd',
        '```',
        '',
        'Before kept text after end.',
        '',
        'Literal: {{< alert >}}',
        '',
      ].join('\n'),
    );
  });

  it('keeps code fences exactly, with trailing spaces and blank lines, and removes HTML comments outside them', () => {
    const source =
      'Text <!-- hidden -->shown\n\n```\n<!-- kept -->  \n\n\n{{< param x >}}\n```\n\n\n\nEnd\n';
    expect(cleanMarkdown(source).markdown).toBe(
      'Text shown\n\n```\n<!-- kept -->  \n\n\n{{< param x >}}\n```\n\nEnd\n',
    );
  });
});
