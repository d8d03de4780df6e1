import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isCorpusError } from '../errors.js';
import {
  type DatasetCardInput,
  datasetCardMetadata,
  parseDatasetCard,
  renderDatasetCard,
  sizeCategory,
} from './dataset-card.js';
import { DEFAULT_LICENCE_ALLOW_LIST, isLicenceAllowed, licenceInfo } from './licences.js';

function input(overrides: Partial<DatasetCardInput> = {}): DatasetCardInput {
  return {
    title: 'Cloud-native Q&A',
    splits: [
      { name: 'train', numExamples: 12_000, numDocuments: 900, numBytes: 24_000_000, shards: 2 },
      { name: 'validation', numExamples: 250, numDocuments: 20, numBytes: 500_000, shards: 1 },
    ],
    splitRatios: { train: 0.98, validation: 0.02 },
    seed: 'cncf-llm',
    downloadSize: 7_000_000,
    datasetSize: 24_500_000,
    languages: ['en'],
    licences: [
      {
        licence: 'CC-BY-SA-4.0',
        documents: 800,
        chunks: 10_000,
        tokens: 2_000_000,
        attributions: [{ attribution: 'jane | doe, https://stackoverflow.com/a/1', documents: 3 }],
        distinctAttributions: 750,
      },
      {
        licence: 'Apache-2.0',
        documents: 120,
        chunks: 2_250,
        tokens: 500_000,
        attributions: [],
        distinctAttributions: 1,
      },
    ],
    byProject: [{ key: 'Kubernetes', documents: 920, chunks: 12_250, tokens: 2_500_000 }],
    bySourceType: [
      { key: 'stackoverflow', documents: 800, chunks: 10_000, tokens: 2_000_000 },
      { key: 'docs-site', documents: 120, chunks: 2_250, tokens: 500_000 },
    ],
    excluded: {
      removedChunks: [{ reason: 'dedup:near-duplicate', chunks: 42 }],
      byLicence: [{ licence: 'CC-BY-NC-4.0', documents: 2, chunks: 7 }],
      includeUnlicensed: false,
      allowList: DEFAULT_LICENCE_ALLOW_LIST,
    },
    run: null,
    statistics: [
      { runId: 'r', step: 'quality', key: 'min-words', value: { documents: 3, chunks: 1200 } },
    ],
    ...overrides,
  };
}

describe('dataset card', () => {
  it('declares Hub licence ids, the size bucket and the data files in a header that parses back', () => {
    const text = renderDatasetCard(input());
    const { metadata, body } = parseDatasetCard(text);
    expect(metadata.license).toEqual(['apache-2.0', 'cc-by-sa-4.0']);
    expect(metadata.size_categories).toEqual(['10K<n<100K']);
    expect(metadata.configs[0]?.data_files).toEqual([
      { split: 'train', path: 'data/train-*' },
      { split: 'validation', path: 'data/validation-*' },
    ]);
    expect(metadata.dataset_info.splits).toEqual([
      { name: 'train', num_bytes: 24_000_000, num_examples: 12_000 },
      { name: 'validation', num_bytes: 500_000, num_examples: 250 },
    ]);
    // The plain YAML parser agrees with the schema-checked one.
    expect(parseYaml(text.split('---\n')[1] as string)).toEqual(metadata);
    expect(body.startsWith('\n# Cloud-native Q&A')).toBe(true);
  });

  it('names share-alike and StackOverflow obligations, and escapes table cells', () => {
    const text = renderDatasetCard(input());
    expect(text).toMatch(/\*\*Share alike\.\*\* Rows under CC-BY-SA-4\.0/);
    expect(text).toMatch(
      /\*\*StackOverflow content\*\* \(10,000 chunks\) is licensed by its authors under CC BY-SA/,
    );
    expect(text).toContain('jane | doe, https://stackoverflow.com/a/1 (3 documents)');
    expect(text).toContain('… and 749 more');
    expect(text).toContain('| CC-BY-NC-4.0 | 2 | 7 |');
    expect(text).toContain('| quality | min-words | documents: 3, chunks: 1,200 |');
    expect(text).toContain('ds = load_dataset("path/to/this/folder")');
  });

  it('uses one id for one licence, and other with a name and link for one the Hub does not list', () => {
    const one = input({
      licences: [{ ...(input().licences[1] as DatasetCardInput['licences'][number]) }],
    });
    expect(datasetCardMetadata(one)).toMatchObject({ license: 'apache-2.0' });
    expect(datasetCardMetadata(one)).not.toHaveProperty('license_name');
    const odd = input({
      licences: [
        {
          licence: 'CDLA-Permissive-2.0',
          documents: 1,
          chunks: 1,
          tokens: 1,
          attributions: [],
          distinctAttributions: 0,
        },
      ],
    });
    expect(datasetCardMetadata(odd)).toMatchObject({
      license: 'other',
      license_name: 'cdla-permissive-2.0',
      license_link: 'https://spdx.org/licenses/CDLA-Permissive-2.0.html',
    });
  });

  it('is byte-stable for the same input', () => {
    expect(renderDatasetCard(input())).toBe(renderDatasetCard(input()));
  });

  it('refuses a header that is missing or invalid', () => {
    expect(() => parseDatasetCard('# no header')).toThrow(/no YAML header/);
    const broken = renderDatasetCard(input()).replace('num_examples: 250', 'num_examples: many');
    try {
      parseDatasetCard(broken);
      expect.unreachable();
    } catch (error) {
      expect(isCorpusError(error, 'invalid-record')).toBe(true);
      expect((error as Error).message).toMatch(/dataset_info\.splits\.1\.num_examples/);
    }
  });

  it.each([
    [0, 'n<1K'],
    [999, 'n<1K'],
    [1000, '1K<n<10K'],
    [99_999, '10K<n<100K'],
    [2_500_000, '1M<n<10M'],
    [5e12, 'n>1T'],
  ])('puts %d rows in %s', (rows, bucket) => {
    expect(sizeCategory(rows)).toBe(bucket);
  });
});

describe('licences', () => {
  it('allow-lists case-insensitively and never a missing licence', () => {
    expect(isLicenceAllowed('cc-by-4.0', DEFAULT_LICENCE_ALLOW_LIST)).toBe(true);
    expect(isLicenceAllowed('CC-BY-NC-4.0', DEFAULT_LICENCE_ALLOW_LIST)).toBe(false);
    expect(isLicenceAllowed(null, DEFAULT_LICENCE_ALLOW_LIST)).toBe(false);
  });

  it('knows the attribution and share-alike terms of the default licences', () => {
    for (const id of DEFAULT_LICENCE_ALLOW_LIST)
      expect(licenceInfo(id).hubId).toBe(id.toLowerCase());
    expect(licenceInfo('CC-BY-SA-3.0')).toMatchObject({ shareAlike: true, attribution: true });
    expect(licenceInfo('CC0-1.0')).toMatchObject({ shareAlike: false, attribution: false });
    expect(licenceInfo('WTFPL-ish').hubId).toBeNull();
  });
});
