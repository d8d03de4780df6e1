// The public door of @cncf-llm/corpus: everything a user may import, and nothing else.

// Building the corpus
export {
  type BuildCorpusOptions,
  BuildCorpusOptionsSchema,
  type BuildEvent,
  type BuildReport,
  type BuildStep,
  buildCorpus,
  buildCorpusIter,
} from './build/build-corpus.js';
export {
  type ChunkableDocument,
  ChunkableDocumentSchema,
  type ChunkingStats,
  type ChunkOptions,
  chunkDocument,
  chunkDocumentWithStats,
} from './chunk/chunk-document.js';
export {
  headingText,
  type MarkdownBlock,
  type MarkdownBlockKind,
  parseMarkdownBlocks,
  type TextRange,
} from './chunk/markdown-blocks.js';
export {
  approximateTokenCount,
  createTokenCounter,
  type TokenCounter,
  type TokenCounterOptions,
} from './chunk/token-counter.js';
export { type Chunk, ChunkSchema, chunkId } from './chunk-record.js';
// Deduplication
export {
  candidateProbability,
  collapseVersions,
  createMinHasher,
  createNearDuplicateIndex,
  DEFAULT_SOURCE_TYPE_ORDER,
  type DedupCluster,
  DedupClusterSchema,
  type DedupCounts,
  DedupCountsSchema,
  type DedupDecision,
  type DedupEvent,
  type DedupeOptions,
  DedupeOptionsSchema,
  type DedupItem,
  DedupItemSchema,
  type DedupReason,
  DedupReasonSchema,
  type DedupRemoval,
  DedupRemovalSchema,
  type DedupReport,
  DedupReportSchema,
  dedupe,
  dedupeIter,
  estimateJaccard,
  exactJaccard,
  exactKey,
  type KeepReason,
  KeepReasonSchema,
  lshThreshold,
  type MinHasher,
  type MinHasherOptions,
  MinHasherOptionsSchema,
  type MinHasherSettings,
  type NearDuplicateIndex,
  type NearDuplicateIndexOptions,
  NearDuplicateIndexOptionsSchema,
  normaliseForExactMatch,
  type PageVersion,
  shingleSet,
  versionOf,
} from './dedup/index.js';
export { CorpusError, type CorpusErrorCode, isCorpusError } from './errors.js';
// Hub dataset
export {
  type DatasetCardInput,
  type DatasetCardMetadata,
  DatasetCardMetadataSchema,
  datasetCardMetadata,
  parseDatasetCard,
  renderDatasetCard,
  sizeCategory,
} from './export/dataset-card.js';
export {
  type ExportDatasetOptions,
  ExportDatasetOptionsSchema,
  type ExportedFile,
  type ExportedSplit,
  type ExportProgress,
  type ExportResult,
  exportDataset,
} from './export/export-dataset.js';
export {
  DEFAULT_LICENCE_ALLOW_LIST,
  isLicenceAllowed,
  type LicenceInfo,
  licenceInfo,
} from './export/licences.js';
export { assignSplit, DEFAULT_SPLITS, parseSplitSpec, SplitsSchema } from './export/splits.js';
export { DEFAULT_HUB_URL } from './hub/hub-credentials.js';
export {
  type PullDatasetOptions,
  type PullDatasetResult,
  type PullEvent,
  type PulledFile,
  pullDataset,
} from './hub/pull-dataset.js';
export {
  DEFAULT_MAX_BYTES_PER_COMMIT,
  DEFAULT_MAX_FILES_PER_COMMIT,
  type PushDatasetOptions,
  type PushDatasetResult,
  type PushEvent,
  type PushedCommit,
  pushDataset,
  pushDatasetIter,
} from './hub/push-dataset.js';
export { type FencedCodeRange, findFencedCode } from './normalise/code-fences.js';
export { type DetectedLanguage, detectLanguage, proseOf } from './normalise/language.js';
// Normalisation and chunking
export { normaliseText } from './normalise/normalise-text.js';
// Quality and scrubbing
export {
  checkQuality,
  QUALITY_FILTERS,
  type QualityFailure,
  type QualityFilterName,
  type QualityResult,
  resolveQualityOptions,
} from './quality/check-quality.js';
export {
  DEFAULT_BOILERPLATE_PHRASES,
  DEFAULT_STOP_WORDS,
  type QualityOptions,
  QualityOptionsSchema,
  type ResolvedQualityOptions,
} from './quality/quality-options.js';
export { type QualityReport, QualityStats } from './quality/quality-stats.js';
export {
  type Replacement,
  type RuleMatch,
  SCRUB_RULES,
  type ScrubRule,
} from './scrub/scrub-rules.js';
export { type ScrubReport, ScrubStats } from './scrub/scrub-stats.js';
export {
  type ScrubOptions,
  ScrubOptionsSchema,
  type ScrubResult,
  scrubText,
} from './scrub/scrub-text.js';
// Store
export {
  type CorpusStore,
  type DocumentTransform,
  type IngestOptions,
  type IngestProblem,
  type IngestProgress,
  type IngestResult,
  type InsertChunksOptions,
  type OpenCorpusStoreOptions,
  OpenCorpusStoreOptionsSchema,
  openCorpusStore,
  type StartRunOptions,
} from './store/corpus-store.js';
export { SCHEMA_VERSION } from './store/schema.js';
export {
  type ChunkFilter,
  ChunkFilterSchema,
  type CorpusStats,
  type DocumentFilter,
  DocumentFilterSchema,
  type GroupCounts,
  type RowState,
  type RowStatus,
  RowStatusSchema,
  type RunRecord,
  type StatisticRecord,
  type StatusUpdate,
  StatusUpdateSchema,
  type StoredChunk,
  type StoredDocument,
} from './store/store-records.js';
