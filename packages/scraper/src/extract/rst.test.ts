import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanRst } from './rst.js';

const source = readFileSync(
  new URL('../../test/fixtures/extract/markup/install.rst', import.meta.url),
  'utf8',
);

describe('cleanRst', () => {
  const doc = cleanRst(source, { url: 'https://thanos.example.org/install.html' });

  it('takes the title from the first section title and writes headings by adornment order', () => {
    expect(doc.title).toBe('Installing Thanos');
    expect(doc.markdown.startsWith('# Installing Thanos\n')).toBe(true);
    expect(doc.markdown).toContain('\n## Requirements\n');
    expect(doc.markdown).toContain('\n### Configuration\n');
  });

  it('drops toctree, include and contents directives with their bodies', () => {
    for (const dropped of [
      'toctree',
      'maxdepth',
      'components/sidecar',
      'include::',
      'common.rst',
      'Table of contents',
    ]) {
      expect(doc.markdown).not.toContain(dropped);
    }
  });

  it('keeps code blocks exactly as fenced code, with the language, options removed', () => {
    expect(doc.markdown).toContain(
      '```bash\ncurl -LO https://example.org/thanos.tar.gz\ntar xzf thanos.tar.gz\n\n./thanos --version\n```',
    );
    expect(doc.markdown).toContain(
      'A minimal configuration looks like this:\n\n```\ntype: S3\nconfig:\n  bucket: thanos\n```',
    );
  });

  it('writes admonitions, links and images as markdown', () => {
    expect(doc.markdown).toContain(
      '> **Note:** Thanos needs object storage for long-term retention.\n>\n> Any S3-compatible store works.',
    );
    expect(doc.markdown).toContain('[release notes](https://github.com/thanos-io/thanos/releases)');
    expect(doc.markdown).toContain(
      '![Thanos architecture](https://thanos.example.org/img/arch.png)',
    );
    expect(doc.links).toEqual([
      'https://github.com/thanos-io/thanos/releases',
      'https://thanos.io/tip/thanos/storage.md',
    ]);
  });
});
