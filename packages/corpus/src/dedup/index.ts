// The dedup area's exports, for `src/index.ts` to re-export by name.

export {
  type DedupEvent,
  type DedupeOptions,
  DedupeOptionsSchema,
  dedupe,
  dedupeIter,
} from './dedupe.js';
export { exactKey } from './exact-key.js';
export {
  candidateProbability,
  createMinHasher,
  estimateJaccard,
  exactJaccard,
  lshThreshold,
  type MinHasher,
  type MinHasherOptions,
  MinHasherOptionsSchema,
  type MinHasherSettings,
  shingleSet,
} from './minhash.js';
export {
  createNearDuplicateIndex,
  DEFAULT_SOURCE_TYPE_ORDER,
  type DedupDecision,
  type DedupItem,
  DedupItemSchema,
  type NearDuplicateIndex,
  type NearDuplicateIndexOptions,
  NearDuplicateIndexOptionsSchema,
} from './near-duplicate-index.js';
export {
  type DedupCluster,
  DedupClusterSchema,
  type DedupCounts,
  DedupCountsSchema,
  type DedupReason,
  DedupReasonSchema,
  type DedupRemoval,
  DedupRemovalSchema,
  type DedupReport,
  DedupReportSchema,
  type KeepReason,
  KeepReasonSchema,
} from './report.js';
export { normaliseForExactMatch } from './scan.js';
export { collapseVersions, type PageVersion, versionOf } from './versions.js';
