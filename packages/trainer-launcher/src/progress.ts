import { z } from 'zod';

/** Prefix of a progress line inside a job's stdout (Kubernetes logs, Slurm output files). */
export const PROGRESS_PREFIX = 'cncf-llm-progress ';

const base = { time: z.string(), trial: z.number().int().nonnegative().optional() };

/**
 * One line of training progress, written by the payload (`payload/train_with_progress.py`) to
 * `progress.jsonl` in the output directory and to stdout after {@link PROGRESS_PREFIX}.
 */
export const ProgressEventSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('start'),
    ...base,
    run: z.string(),
    maxSteps: z.number().int().nonnegative(),
    epochs: z.number().nonnegative(),
    worldSize: z.number().int().positive(),
    resumedFrom: z.string().nullable().optional(),
  }),
  z.object({
    event: z.literal('step'),
    ...base,
    step: z.number().int().nonnegative(),
    maxSteps: z.number().int().nonnegative(),
    epoch: z.number().nonnegative(),
    loss: z.number().nullable(),
    learningRate: z.number().nullable(),
    gradNorm: z.number().nullable().optional(),
    tokensPerSecond: z.number().nullable(),
    etaSeconds: z.number().nullable(),
  }),
  z.object({
    event: z.literal('eval'),
    ...base,
    step: z.number().int().nonnegative(),
    evalLoss: z.number(),
  }),
  z.object({
    event: z.literal('checkpoint'),
    ...base,
    step: z.number().int().nonnegative(),
    path: z.string(),
  }),
  z.object({
    event: z.literal('post-step'),
    ...base,
    name: z.enum(['merge', 'gguf', 'push-adapter', 'push-merged']),
    status: z.enum(['started', 'succeeded', 'failed', 'skipped']),
    detail: z.string().optional(),
  }),
  z.object({
    event: z.literal('end'),
    ...base,
    status: z.enum(['succeeded', 'failed']),
    step: z.number().int().nonnegative(),
    trainLoss: z.number().nullable().optional(),
    evalLoss: z.number().nullable().optional(),
    error: z.string().optional(),
  }),
]);

export type ProgressEvent = z.infer<typeof ProgressEventSchema>;

/**
 * Reads progress events from text: a `progress.jsonl` file, or a job log in which progress lines
 * follow {@link PROGRESS_PREFIX}. Other log lines are ignored; a line that claims to be progress
 * but does not parse is reported in `invalid` with its line number, never silently dropped.
 */
export function parseProgress(text: string): {
  events: ProgressEvent[];
  invalid: { line: number; error: string }[];
} {
  const events: ProgressEvent[] = [];
  const invalid: { line: number; error: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    let json: string | undefined;
    const at = raw.indexOf(PROGRESS_PREFIX.trim());
    if (at >= 0) json = raw.slice(at + PROGRESS_PREFIX.trim().length).trim();
    else if (raw.startsWith('{') && raw.includes('"event"')) json = raw;
    if (json === undefined || json === '') continue;
    try {
      const parsed = ProgressEventSchema.safeParse(JSON.parse(json));
      if (parsed.success) events.push(parsed.data);
      else
        invalid.push({
          line: i + 1,
          error: parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; '),
        });
    } catch (error) {
      // A torn last line of a file still being written is expected; earlier ones are not.
      if (i < lines.length - 1 || text.endsWith('\n'))
        invalid.push({ line: i + 1, error: (error as Error).message });
    }
  }
  return { events, invalid };
}

/** The latest numbers of a run, folded from its progress events. */
export interface ProgressSummary {
  step: number;
  maxSteps: number;
  epoch: number;
  loss: number | null;
  learningRate: number | null;
  tokensPerSecond: number | null;
  etaSeconds: number | null;
  /** Last evaluation loss seen. */
  evalLoss: number | null;
  /** Set once the payload wrote its `end` line. */
  ended: 'succeeded' | 'failed' | null;
  error?: string | undefined;
}

/** Folds events into the latest state of the run. */
export function summariseProgress(events: readonly ProgressEvent[]): ProgressSummary {
  const s: ProgressSummary = {
    step: 0,
    maxSteps: 0,
    epoch: 0,
    loss: null,
    learningRate: null,
    tokensPerSecond: null,
    etaSeconds: null,
    evalLoss: null,
    ended: null,
  };
  for (const e of events) {
    if (e.event === 'start') s.maxSteps = e.maxSteps;
    else if (e.event === 'step') {
      s.step = e.step;
      s.maxSteps = e.maxSteps;
      s.epoch = e.epoch;
      s.loss = e.loss ?? s.loss;
      s.learningRate = e.learningRate;
      s.tokensPerSecond = e.tokensPerSecond;
      s.etaSeconds = e.etaSeconds;
    } else if (e.event === 'eval') s.evalLoss = e.evalLoss;
    else if (e.event === 'end') {
      s.ended = e.status;
      s.step = e.step;
      if (e.evalLoss != null) s.evalLoss = e.evalLoss;
      if (e.error) s.error = e.error;
    }
  }
  return s;
}
