import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isScraperError, ScraperError } from '../errors.js';
import { extractContent } from './extract-content.js';
import { mediaTypeOf } from './media-type.js';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../test/fixtures/extract/${name}`, import.meta.url)));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function rejection(promise: Promise<unknown>): Promise<ScraperError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScraperError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('mediaTypeOf', () => {
  it('lowercases and drops parameters', () => {
    expect(mediaTypeOf('Text/HTML; charset=UTF-8')).toBe('text/html');
    expect(mediaTypeOf('application/json')).toBe('application/json');
    expect(mediaTypeOf('')).toBe('');
  });
});

describe('extractContent dispatch', () => {
  it('reads an HTML page with its metadata', async () => {
    const result = await extractContent({
      body: fixture('html/docsy-quickstart.html'),
      contentType: 'text/html; charset=utf-8',
      url: 'https://etcd.io/docs/v3.6/quickstart/',
    });
    expect(result.kind).toBe('html');
    expect(result.mediaType).toBe('text/html');
    expect(result.title).toBe('Quickstart');
    expect(result.language).toBe('en');
    expect(result.canonicalUrl).toBe('https://etcd.io/docs/v3.6/quickstart/');
    expect(result.metadata).toMatchObject({
      breadcrumbs: ['Versions', 'v3.6.0', 'Quickstart'],
      description: 'Get etcd up and running in less than 5 minutes!',
      charset: 'utf-8',
    });
    expect(result.markdown).toContain(
      '   ```console\n   $ etcdctl get greeting\n   greeting\n   Hello, etcd\n   ```',
    );
    expect(result.links).toContain('https://etcd.io/docs/v3.5/');
    expect(result.warnings).toEqual([]);
  });

  it('sniffs HTML served as text/plain, and HTML error pages served as PDF', async () => {
    const page = utf8(
      '<!DOCTYPE html><html><body><main><h1>Hello</h1><p>World</p></main></body></html>',
    );
    const plain = await extractContent({
      body: page,
      contentType: 'text/plain',
      url: 'https://x.example/a',
    });
    expect(plain.kind).toBe('html');
    expect(plain.mediaType).toBe('text/html');
    expect(plain.metadata.declaredContentType).toBe('text/plain');
    expect(plain.markdown).toBe('# Hello\n\nWorld\n');
    const errorPage = await extractContent({
      body: page,
      contentType: 'application/pdf',
      url: 'https://x.example/paper.pdf',
    });
    expect(errorPage.kind).toBe('html');
  });

  it('decodes invalid UTF-8 with replacement characters and a warning, never throwing', async () => {
    const bytes = new Uint8Array([
      ...utf8('<main><p>caf'),
      0xe9,
      0x20,
      0xff,
      0xfe,
      ...utf8(' ok</p></main>'),
    ]);
    const result = await extractContent({
      body: bytes,
      contentType: 'text/html',
      url: 'https://x.example/',
    });
    expect(result.warnings).toContain('invalid-utf8');
    expect(result.markdown).toBe('caf\uFFFD \uFFFD\uFFFD ok\n');
  });

  it('honours the charset of the header, then <meta charset>', async () => {
    // “quoted” – in windows-1252.
    const quoted = [0x93, ...utf8('quoted'), 0x94, 0x20, 0x96];
    const fromHeader = await extractContent({
      body: new Uint8Array([...utf8('<p>'), ...quoted, ...utf8('</p>')]),
      contentType: 'text/html; charset=windows-1252',
      url: 'https://x.example/',
    });
    expect(fromHeader.markdown).toBe('“quoted” –\n');
    expect(fromHeader.warnings).toEqual([]);
    const fromMeta = await extractContent({
      body: new Uint8Array([
        ...utf8('<html><head><meta charset="windows-1252"></head><body><p>'),
        ...quoted,
        ...utf8('</p></body></html>'),
      ]),
      contentType: 'text/html',
      url: 'https://x.example/',
    });
    expect(fromMeta.markdown).toBe('“quoted” –\n');
    expect(fromMeta.metadata.charset).toBe('windows-1252');
  });

  it('decodes UTF-16 text by its byte-order mark', async () => {
    const text = 'Grüße from UTF-16\n';
    const bytes = new Uint8Array(2 + text.length * 2);
    bytes[0] = 0xff;
    bytes[1] = 0xfe;
    for (let i = 0; i < text.length; i++) {
      bytes[2 + i * 2] = text.charCodeAt(i) & 0xff;
      bytes[3 + i * 2] = text.charCodeAt(i) >> 8;
    }
    const result = await extractContent({
      body: bytes,
      contentType: 'text/plain',
      url: 'https://x.example/notes.txt',
    });
    expect(result.kind).toBe('text');
    expect(result.markdown).toBe(text);
    expect(result.title).toBe('Grüße from UTF-16');
  });

  it('reads markdown served as text/plain by its extension (the real etcd quickstart)', async () => {
    const result = await extractContent({
      body: fixture('etcd/quickstart.md'),
      contentType: 'text/plain; charset=utf-8',
      url: 'https://raw.githubusercontent.com/etcd-io/website/main/content/en/docs/v3.6/quickstart.md',
    });
    expect(result.kind).toBe('markdown');
    expect(result.mediaType).toBe('text/markdown');
    expect(result.title).toBe('Quickstart');
    expect(result.metadata.frontMatter).toMatchObject({ weight: 900 });
    expect(result.metadata.description).toBe('Get etcd up and running in less than 5 minutes!');
    // Relative links in a raw file resolve like any URL (Hugo's page-relative reading needs the site URL).
    expect(result.links).toContain(
      'https://raw.githubusercontent.com/etcd-io/website/main/content/en/docs/install/',
    );
  });

  it('reads MDX, reStructuredText and AsciiDoc by extension', async () => {
    const mdx = await extractContent({
      body: fixture('markup/file-sd.mdx'),
      contentType: 'application/octet-stream',
      url: 'https://example.dev/docs/file-sd.mdx',
    });
    expect(mdx.kind).toBe('mdx');
    expect(mdx.markdown).not.toContain('import TabItem');
    const rst = await extractContent({
      body: fixture('markup/install.rst'),
      contentType: 'text/plain',
      url: 'https://example.dev/docs/install.rst',
    });
    expect(rst.kind).toBe('rst');
    expect(rst.title).toBe('Installing Thanos');
    const adoc = await extractContent({
      body: fixture('markup/install.adoc'),
      contentType: '',
      url: 'https://example.dev/docs/install.adoc',
    });
    expect(adoc.kind).toBe('asciidoc');
    expect(adoc.title).toBe('Installing Strimzi');
  });

  it('pretty-prints JSON in a json block, keeping numbers as written', async () => {
    const result = await extractContent({
      body: utf8('{"id":12345678901234567890,"tags":["a","b"],"empty":{},"s":"x, y: {z}"}'),
      contentType: 'application/json',
      url: 'https://api.example/v1/projects/etcd.json?x=1',
    });
    expect(result.kind).toBe('json');
    expect(result.title).toBe('etcd.json');
    expect(result.markdown).toBe(
      '# etcd.json\n\n```json\n{\n  "id": 12345678901234567890,\n  "tags": [\n    "a",\n    "b"\n  ],\n  "empty": {},\n  "s": "x, y: {z}"\n}\n```\n',
    );
    expect(result.warnings).toEqual([]);
  });

  it('keeps invalid JSON as text with a warning', async () => {
    const result = await extractContent({
      body: utf8('{"broken": '),
      contentType: 'application/problem+json',
      url: 'https://api.example/error',
    });
    expect(result.kind).toBe('json');
    expect(result.markdown).toBe('# error\n\n```\n{"broken":\n```\n');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^invalid-json: /);
  });

  it('keeps YAML as written, comments included, and warns when it does not parse', async () => {
    const values = '# Number of replicas.\nreplicaCount: 3\nimage:\n  tag: "v3.6.0" # pinned\n';
    const result = await extractContent({
      body: utf8(values),
      contentType: 'text/plain',
      url: 'https://x.example/chart/values.yaml',
    });
    expect(result.kind).toBe('yaml');
    expect(result.markdown).toBe(`# values.yaml\n\n\`\`\`yaml\n${values}\`\`\`\n`);
    expect(result.warnings).toEqual([]);
    const broken = await extractContent({
      body: utf8('a: [1, 2\nb: }'),
      contentType: 'application/yaml',
      url: 'https://x.example/bad.yaml',
    });
    expect(broken.warnings[0]).toMatch(/^invalid-yaml: /);
  });

  it('reads a PDF by its magic bytes whatever the header says', async () => {
    const result = await extractContent({
      body: new Uint8Array(
        readFileSync(
          new URL(
            '../../test/fixtures/whitepapers/Software_Supply_Chain_Practices_whitepaper_v2.pdf',
            import.meta.url,
          ),
        ),
      ),
      contentType: 'application/octet-stream',
      url: 'https://github.com/cncf/tag-security/raw/main/Software_Supply_Chain_Practices_whitepaper_v2.pdf',
    });
    expect(result.kind).toBe('pdf');
    expect(result.mediaType).toBe('application/pdf');
    expect(result.title).toBe('Software Supply Chain Practices whitepaper v2');
    expect(result.language).toBe('en-GB');
    expect(result.metadata.pageCount).toBe(37);
    const starts = result.metadata.pageStarts as number[];
    expect(starts).toHaveLength(37);
    // Each offset is where its page's text begins, running header and all cleaning included.
    expect(result.markdown.slice(starts[2]!)).toMatch(/^INTRODUCTION\n\nSoftware supply chain/);
    expect(result.markdown.slice(starts[15]!)).toMatch(/^of trust, which requires/);
    expect(result.markdown.slice(starts[36]!)).toBe('THANK YOU!\n');
    for (const [index, start] of starts.entries()) {
      if (index > 0) expect(result.markdown.slice(start - 2, start)).toBe('\n\n');
    }
  });

  it('names the URL when a PDF cannot be read', async () => {
    const error = await rejection(
      extractContent({
        body: utf8('%PDF-1.4\nnot really'),
        contentType: 'application/pdf',
        url: 'https://x.example/bad.pdf',
      }),
    );
    expect(error.code).toBe('extract-failed');
    expect(error.url).toBe('https://x.example/bad.pdf');
    expect(error.message).toContain('https://x.example/bad.pdf');
  });

  it('refuses images and archives with unsupported-content-type, naming URL and type', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const image = await rejection(
      extractContent({ body: png, contentType: 'image/png', url: 'https://x.example/logo.png' }),
    );
    expect(image.code).toBe('unsupported-content-type');
    expect(image.message).toContain('https://x.example/logo.png');
    expect(image.message).toContain('image/png');
    const zip = await rejection(
      extractContent({
        body: new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]),
        contentType: 'application/octet-stream',
        url: 'https://x.example/release.zip',
      }),
    );
    expect(isScraperError(zip, 'unsupported-content-type')).toBe(true);
  });

  it('rejects input of the wrong shape', async () => {
    const error = await rejection(
      extractContent({
        body: 'text' as unknown as Uint8Array,
        contentType: 'text/plain',
        url: 'https://x.example/',
      }),
    );
    expect(error.code).toBe('invalid-options');
  });
});
