import type { ScrapedDocument } from '@cncf-llm/scraper';
import { describe, expect, it } from 'vitest';
import { editWords, loadDocuments, seededRandom } from '../../test/fixtures/dedup/plant.js';
import { isCorpusError } from '../errors.js';
import { exactJaccard } from './minhash.js';
import {
  createNearDuplicateIndex,
  type DedupDecision,
  type DedupItem,
} from './near-duplicate-index.js';
import { DedupReportSchema } from './report.js';

const documents = loadDocuments();
const byUrl = (suffix: string) =>
  documents.find((document) => document.url.endsWith(suffix)) as ScrapedDocument;
const itemOf = (document: ScrapedDocument, overrides: Partial<DedupItem> = {}): DedupItem => ({
  id: document.id,
  text: document.markdown,
  key: { project: document.project, sourceType: document.sourceType, url: document.url },
  ...overrides,
});
const removed = (decision: DedupDecision) => {
  if (decision.kept) throw new Error(`expected ${decision.id} to be removed`);
  return decision;
};

describe('createNearDuplicateIndex', () => {
  it('keeps every one of the 166 distinct real pages', () => {
    const index = createNearDuplicateIndex();
    const decisions = documents.map((document) => index.add(itemOf(document)));
    expect(decisions.filter((decision) => !decision.kept)).toEqual([]);
    expect(index.kept).toBe(166);
    expect(index.report().totals).toEqual({
      seen: 166,
      kept: 166,
      removed: 0,
      exact: 0,
      near: 0,
      version: 0,
    });
  });

  it('removes an exact copy (case and whitespace aside) and names the page it copies', () => {
    const index = createNearDuplicateIndex();
    const page = byUrl('/op-guide/maintenance/');
    index.add(itemOf(page));
    const copy = removed(
      index.add(
        itemOf(page, {
          id: 'copy',
          text: `  ${page.markdown.toUpperCase().replace(/ /g, '\t ')}\n`,
        }),
      ),
    );
    expect(copy).toEqual({
      id: 'copy',
      kept: false,
      reason: 'exact',
      keptId: page.id,
      similarity: 1,
      keptBecause: 'first-seen',
    });
  });

  it('removes a lightly edited copy as a near duplicate, with its estimated similarity', () => {
    const index = createNearDuplicateIndex();
    const page = byUrl('/practices/naming/');
    index.add(itemOf(page));
    const text = editWords(page.markdown, 6, seededRandom(3));
    const decision = removed(index.add(itemOf(page, { id: 'edited', text })));
    expect(decision.reason).toBe('near');
    expect(decision.keptId).toBe(page.id);
    const exact = exactJaccard(page.markdown, text);
    expect(exact).toBeGreaterThan(0.9);
    expect(Math.abs((decision.similarity as number) - exact)).toBeLessThan(0.05);
  });

  it('verifies candidates: a copy below the threshold is kept, and threshold 0 removes any candidate', () => {
    const page = byUrl('/op-guide/runtime-configuration/');
    // About one word in twenty edited: a similarity near 0.7, an LSH candidate about half the
    // time (depending on the hashing seed), never similar enough to remove.
    const text = editWords(
      page.markdown,
      Math.round(page.markdown.split(/\s+/).length / 20),
      seededRandom(5),
    );
    const similarity = exactJaccard(page.markdown, text);
    expect(similarity).toBeGreaterThan(0.6);
    expect(similarity).toBeLessThan(0.75);
    const unverified: DedupDecision[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const verified = createNearDuplicateIndex({ seed });
      verified.add(itemOf(page));
      expect(verified.add(itemOf(page, { id: 'edited', text })).kept).toBe(true);
      // `threshold: 0` is datatrove's rule: one shared band is enough.
      const datatrove = createNearDuplicateIndex({ seed, threshold: 0 });
      datatrove.add(itemOf(page));
      unverified.push(datatrove.add(itemOf(page, { id: 'edited', text })));
    }
    const flagged = unverified.filter((decision) => !decision.kept).map(removed);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.length).toBeLessThan(8);
    for (const decision of flagged) expect(decision.similarity).toBeLessThan(0.8);
  });

  it('keeps the newest docs version whichever comes first', () => {
    const page = byUrl('/v3.6/op-guide/maintenance/');
    const older = itemOf(page, {
      id: 'v3.5',
      text: page.markdown.replace(/3\.6/g, '3.5').replace(/^## .*$/m, '## Changed heading for 3.5'),
      key: { project: 'etcd', sourceType: 'docs-site', url: page.url.replace('/v3.6/', '/v3.5/') },
    });

    const newerFirst = createNearDuplicateIndex();
    newerFirst.add(itemOf(page));
    const decision = removed(newerFirst.add(older));
    expect(decision).toMatchObject({
      reason: 'version',
      keptId: page.id,
      keptBecause: 'newest-version',
    });
    expect(decision.similarity).toBeGreaterThan(0.9);

    const olderFirst = createNearDuplicateIndex();
    expect(olderFirst.add(older)).toEqual({ id: 'v3.5', kept: true, supersedes: [] });
    expect(olderFirst.add(itemOf(page))).toEqual({ id: page.id, kept: true, supersedes: ['v3.5'] });
    expect(olderFirst.kept).toBe(1);
    const report = olderFirst.report();
    expect(report.totals).toEqual({ seen: 2, kept: 1, removed: 1, exact: 0, near: 0, version: 1 });
    expect(report.clusters.listed[0]).toMatchObject({
      keptId: page.id,
      removedCount: 1,
      removed: [{ id: 'v3.5', reason: 'version', keptBecause: 'newest-version' }],
    });
    // A third copy of the old version is now removed in favour of the new one.
    expect(removed(olderFirst.add({ ...older, id: 'v3.5 again' })).keptId).toBe(page.id);

    // Without the version rule the two are judged by their text alone.
    const byText = createNearDuplicateIndex({ collapseVersions: false });
    byText.add(older);
    expect(removed(byText.add(itemOf(page)))).toMatchObject({ reason: 'near', keptId: 'v3.5' });
  });

  it('never matches texts without words by their (empty) signature', () => {
    const index = createNearDuplicateIndex();
    expect(index.add({ id: 'a', text: '---' }).kept).toBe(true);
    expect(index.add({ id: 'b', text: '***' }).kept).toBe(true);
    expect(removed(index.add({ id: 'c', text: '***' }))).toMatchObject({
      reason: 'exact',
      keptId: 'b',
    });
  });

  it('reports counts per project and source type, and bounds the clusters it lists', () => {
    const index = createNearDuplicateIndex({ maxClusters: 2, maxClusterMembers: 1 });
    const pages = documents.slice(10, 15);
    for (const page of pages) index.add(itemOf(page));
    for (const page of pages) {
      index.add(
        itemOf(page, {
          id: `${page.id}-copy1`,
          key: { ...itemOf(page).key, sourceType: 'github' },
        }),
      );
      index.add(
        itemOf(page, { id: `${page.id}-copy2`, key: { project: null, sourceType: 'github' } }),
      );
    }
    const report = DedupReportSchema.parse(index.report());
    expect(report.totals).toEqual({
      seen: 15,
      kept: 5,
      removed: 10,
      exact: 10,
      near: 0,
      version: 0,
    });
    expect(report.bySourceType).toEqual({
      'docs-site': { seen: 5, kept: 5, removed: 0, exact: 0, near: 0, version: 0 },
      github: { seen: 10, kept: 0, removed: 10, exact: 10, near: 0, version: 0 },
    });
    expect(report.byProject['(none)']).toEqual({
      seen: 5,
      kept: 0,
      removed: 5,
      exact: 5,
      near: 0,
      version: 0,
    });
    expect(report.clusters.total).toBe(5);
    expect(report.clusters.listed).toHaveLength(2);
    expect(report.clusters.listed[0]?.removedCount).toBe(2);
    expect(report.clusters.listed[0]?.removed).toHaveLength(1);
    expect(report.clusters.truncated).toBe(true);
    expect(report.settings).toMatchObject({
      shingleSize: 5,
      bands: 14,
      rows: 8,
      threshold: 0.8,
      policy: 'first-seen',
    });
  });

  it('holds fingerprints of kept items only', () => {
    const index = createNearDuplicateIndex();
    const paragraphs = documents
      .flatMap((document) => document.markdown.split(/\n{2,}/))
      .filter((paragraph) => paragraph.split(/\s+/).length >= 30)
      .slice(0, 500);
    for (const [i, text] of paragraphs.entries()) index.add({ id: `paragraph-${i}`, text });
    const kept = index.kept;
    const bytes = index.byteLength;
    expect(kept).toBeGreaterThan(450);
    for (const [i, text] of paragraphs.entries()) index.add({ id: `copy-${i}`, text: `${text}\n` });
    expect(index.byteLength).toBe(bytes);
    expect(index.kept).toBe(kept);
    expect(index.seen).toBe(1000);
  });

  it('rejects an item without a string id or text', () => {
    const index = createNearDuplicateIndex();
    expect(() => index.add({ id: 'x', text: undefined } as never)).toThrow(
      /string `id` and `text`/,
    );
    expect(() => index.add(null as never)).toThrow(/string `id` and `text`/);
    let caught: unknown;
    try {
      index.add({ id: 7, text: 'x' } as never);
    } catch (error) {
      caught = error;
    }
    expect(isCorpusError(caught, 'invalid-input')).toBe(true);
    expect(index.seen).toBe(0);
  });

  it('rejects wrong options with a CorpusError', () => {
    for (const options of [
      { threshold: 1.5 },
      { margin: -1 },
      { maxCandidates: 0 },
      { level: 'page' },
    ]) {
      let caught: unknown;
      try {
        createNearDuplicateIndex(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isCorpusError(caught, 'invalid-options')).toBe(true);
    }
  });
});
