import type { ScrapedDocument } from '@cncf-llm/scraper';
import { describe, expect, it } from 'vitest';
import { editWords, loadDocuments, seededRandom } from '../../test/fixtures/dedup/plant.js';
import { isCorpusError } from '../errors.js';
import { type DedupEvent, dedupe, dedupeIter } from './dedupe.js';
import {
  createNearDuplicateIndex,
  type DedupDecision,
  type DedupItem,
} from './near-duplicate-index.js';

const documents = loadDocuments();
const byUrl = (suffix: string) =>
  documents.find((document) => document.url.endsWith(suffix)) as ScrapedDocument;
const itemOf = (document: ScrapedDocument, overrides: Partial<DedupItem> = {}): DedupItem => ({
  id: document.id,
  text: document.markdown,
  key: { project: document.project, sourceType: document.sourceType, url: document.url },
  ...overrides,
});
const decisionOf = (decisions: DedupDecision[], id: string) =>
  decisions.find((decision) => decision.id === id) as DedupDecision;

describe('dedupe', () => {
  const page = byUrl('/op-guide/maintenance/');
  const githubCopy = itemOf(page, {
    id: 'github-copy',
    text: `${page.markdown}\n\nEdit this file on GitHub.\n`,
    key: {
      project: 'etcd',
      sourceType: 'github',
      url: 'https://github.com/etcd-io/website/blob/main/maintenance.md',
    },
  });

  it('keeps the docs-site page over an earlier GitHub copy with the ranked policy', async () => {
    const { decisions, report } = await dedupe({ items: [githubCopy, itemOf(page)] });
    expect(decisions.map((decision) => decision.id)).toEqual(['github-copy', page.id]);
    expect(decisionOf(decisions, page.id)).toEqual({ id: page.id, kept: true, supersedes: [] });
    expect(decisionOf(decisions, 'github-copy')).toMatchObject({
      kept: false,
      reason: 'near',
      keptId: page.id,
      keptBecause: 'preferred-source',
    });
    expect(report.settings.policy).toBe('ranked');
    expect(report.bySourceType.github).toMatchObject({ seen: 1, removed: 1, near: 1 });

    const firstSeen = await dedupe({ items: [githubCopy, itemOf(page)], policy: 'first-seen' });
    expect(decisionOf(firstSeen.decisions, page.id)).toMatchObject({
      kept: false,
      keptId: 'github-copy',
    });

    const custom = await dedupe({
      items: [itemOf(page), githubCopy],
      sourceTypeOrder: ['github', 'docs-site'],
    });
    expect(decisionOf(custom.decisions, page.id)).toMatchObject({
      kept: false,
      keptBecause: 'preferred-source',
    });
  });

  it('keeps only the newest docs version, even when an older one comes first', async () => {
    const current = byUrl('/v3.6/op-guide/recovery/');
    const old = (version: string) =>
      itemOf(current, {
        id: version,
        text: editWords(current.markdown, 40, seededRandom(version.length)),
        key: {
          project: 'etcd',
          sourceType: 'docs-site',
          url: current.url.replace('/v3.6/', `/${version}/`),
        },
      });
    const { decisions, report } = await dedupe({
      items: [old('v3.4'), old('v3.5'), itemOf(current)],
    });
    expect(decisionOf(decisions, current.id)).toEqual({
      id: current.id,
      kept: true,
      supersedes: [],
    });
    for (const version of ['v3.4', 'v3.5']) {
      expect(decisionOf(decisions, version)).toMatchObject({
        kept: false,
        reason: 'version',
        keptId: current.id,
        keptBecause: 'newest-version',
      });
    }
    expect(report.totals).toEqual({ seen: 3, kept: 1, removed: 2, exact: 0, near: 0, version: 2 });
  });

  it('names the final keeper when the newest version is itself a duplicate', async () => {
    const current = byUrl('/v3.6/op-guide/recovery/');
    const mirror = itemOf(current, {
      id: 'mirror',
      key: { project: 'etcd', sourceType: 'docs-site', url: 'https://mirror.example/recovery/' },
    });
    const old = itemOf(current, {
      id: 'old',
      key: {
        project: 'etcd',
        sourceType: 'docs-site',
        url: current.url.replace('/v3.6/', '/v3.5/'),
      },
    });
    const { decisions } = await dedupe({ items: [mirror, old, itemOf(current)] });
    expect(decisionOf(decisions, current.id)).toMatchObject({
      kept: false,
      reason: 'exact',
      keptId: 'mirror',
    });
    expect(decisionOf(decisions, 'old')).toMatchObject({
      kept: false,
      reason: 'version',
      keptId: 'mirror',
    });
  });

  it('agrees with the streaming index when order does not matter', async () => {
    const random = seededRandom(9);
    const items = [
      ...documents.map((document) => itemOf(document)),
      ...documents
        .filter((document) => document.markdown.length > 3000)
        .map((document) =>
          itemOf(document, {
            id: `${document.id}-edited`,
            text: editWords(document.markdown, 3, random),
          }),
        ),
    ];
    const { decisions } = await dedupe({ items, policy: 'first-seen' });
    const index = createNearDuplicateIndex();
    const streamed = items.map((item) => index.add(item));
    expect(decisions).toEqual(streamed);
    expect(decisions.filter((decision) => !decision.kept).length).toBeGreaterThan(80);
  });

  it('reads async iterables and reports progress, then decisions in input order, then the report', async () => {
    async function* items() {
      for (const document of documents.slice(0, 5)) yield itemOf(document);
      yield itemOf(documents[0] as ScrapedDocument, { id: 'again' });
    }
    const events: DedupEvent[] = [];
    for await (const event of dedupeIter({ items: items(), progressEvery: 2 })) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'items-fingerprinted',
      'items-fingerprinted',
      'items-fingerprinted',
      ...new Array(6).fill('item-decided'),
      'dedup-finished',
    ]);
    expect(events[2]).toMatchObject({ type: 'items-fingerprinted', items: 6 });
    const decided = events.flatMap((event) =>
      event.type === 'item-decided' ? [event.decision.id] : [],
    );
    expect(decided).toEqual([...documents.slice(0, 5).map((document) => document.id), 'again']);
  });

  it('stops with an aborted error when its signal fires, and rejects bad options', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      dedupe({ items: documents.map((document) => itemOf(document)), signal: controller.signal }),
    ).rejects.toSatisfy((error) => isCorpusError(error, 'aborted'));
    await expect(dedupe({ items: 'not items' as never })).rejects.toSatisfy((error) =>
      isCorpusError(error, 'invalid-options'),
    );
    await expect(dedupe({ items: [{ id: 'x' }] as never })).rejects.toSatisfy((error) =>
      isCorpusError(error, 'invalid-input'),
    );
  });
});
