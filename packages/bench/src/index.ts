// The public door of @cncf-llm/bench: everything a user may import, and nothing else.

export {
  type BleuOptions,
  BleuOptionsSchema,
  type BleuScore,
  type BleuStatistics,
  computeBleu,
  corpusBleu,
  createBleu,
  SMOOTH_DEFAULTS,
  type SmoothMethod,
  sentenceBleu,
} from './bleu/bleu.js';
export {
  type ChrfOptions,
  ChrfOptionsSchema,
  type ChrfScore,
  corpusChrf,
  createChrf,
  sentenceChrf,
} from './chrf/chrf.js';
export { normalizeSacrebleuArgs } from './cli/sacrebleu-args.js';
export {
  type CliIo,
  createScoreCommand,
  runScoreCli,
} from './cli/score-command.js';
export {
  type ConfidenceInterval,
  type CorpusStatistics,
  checkStreams,
  computeStatistics,
  type PreparedReferences,
  prepareReferences,
  type ReferenceStreams,
  type ScoreResult,
  sumStatistics,
} from './corpus.js';
export { BenchError, type BenchErrorCode, isBenchError } from './errors.js';
export { formatFixed } from './format.js';
export type { BaseScore, Metric, MetricId } from './metric.js';
export { createMetric, METRIC_IDS, type MetricOptions } from './metrics.js';
export {
  type CorpusScoreOptions,
  corpusScore,
  defaultSeed,
  scoreStatistics,
  sentenceScore,
} from './score.js';
export { Signature, type SignatureContext, type SignatureField } from './signature.js';
export {
  bootstrapConfidence,
  DEFAULT_SEED,
  estimateConfidence,
} from './significance/bootstrap.js';
export {
  PAIRED_DEFAULT_SAMPLES,
  type PairedResult,
  type PairedTestOptions,
  type PairedTestOutcome,
  type PairedTestType,
  pairedTest,
} from './significance/paired.js';
export type { ResamplingRng } from './significance/rng.js';
export { SpanBuffer } from './span-vocabulary.js';
export {
  collectStreamStatistics,
  type StreamSegment,
  type StreamStatistics,
} from './stream.js';
export {
  corpusTer,
  createTer,
  sentenceTer,
  type TerOptions,
  TerOptionsSchema,
  type TerScore,
} from './ter/ter.js';
export {
  getTokenizer,
  TOKENIZERS,
  type Tokenizer,
  type TokenizerName,
} from './tokenizers/index.js';
export { SIGNATURE_VERSION, VERSION } from './version.js';
