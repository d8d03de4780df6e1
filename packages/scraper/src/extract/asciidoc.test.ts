import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanAsciidoc } from './asciidoc.js';

const source = readFileSync(
  new URL('../../test/fixtures/extract/markup/install.adoc', import.meta.url),
  'utf8',
);

describe('cleanAsciidoc', () => {
  const doc = cleanAsciidoc(source, { url: 'https://strimzi.example.org/install.adoc' });

  it('takes the title from = Title and writes sections as # headings', () => {
    expect(doc.title).toBe('Installing Strimzi');
    expect(
      doc.markdown.startsWith('# Installing Strimzi\n\nStrimzi runs Apache Kafka on Kubernetes.'),
    ).toBe(true);
    expect(doc.markdown).toContain('\n## Deploying the operator\n');
  });

  it('drops include::, toc::, attribute entries, conditionals and comments but keeps conditional text', () => {
    for (const dropped of [
      'include::',
      'toc::',
      ':toc:',
      ':imagesdir:',
      'ifdef::',
      'endif::',
      'not part of the document',
    ]) {
      expect(doc.markdown).not.toContain(dropped);
    }
    expect(doc.markdown).toContain('Downstream builds use different images.');
  });

  it('keeps source and literal blocks exactly as fenced code', () => {
    expect(doc.markdown).toContain(
      "**Applying the installation files**\n\n```shell\nkubectl create namespace kafka\nkubectl apply -f 'https://strimzi.io/install/latest?namespace=kafka' -n kafka\n```",
    );
    expect(doc.markdown).toContain('```\nliteral text   kept as is\n```');
  });

  it('writes admonitions as blockquotes and link macros as links', () => {
    expect(doc.markdown).toContain(
      '> **Note:** You need cluster-admin rights to install the CRDs.',
    );
    expect(doc.markdown).toContain(
      '> **Warning:** Deleting the namespace deletes every Kafka cluster in it.',
    );
    expect(doc.markdown).toContain('Read the [documentation](https://strimzi.io/docs/) first.');
    expect(doc.markdown).toContain(
      'See the deployment section and [the repository](https://github.com/strimzi/strimzi-kafka-operator).',
    );
    expect(doc.links).toEqual([
      'https://strimzi.io/docs/',
      'https://github.com/strimzi/strimzi-kafka-operator',
    ]);
  });
});
