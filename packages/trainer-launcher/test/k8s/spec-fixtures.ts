import type { PayloadRenderer } from '../../src/k8s/render-objects.js';
import { type TrainSpec, type TrainSpecInput, TrainSpecSchema } from '../../src/spec/schema.js';

/**
 * A small payload in place of the real renderer: a bash script that prints the launcher's
 * environment and progress lines, so the pod's command and the ConfigMap mount are real.
 */
export const stubPayload: PayloadRenderer = (spec, options) => ({
  entrypoint: 'run.sh',
  files: [
    {
      path: 'run.sh',
      mode: 0o755,
      content: [
        '#!/usr/bin/env bash',
        'set -euo pipefail',
        `echo "run ${spec.name} on node $CNCF_LLM_NODE_RANK of $CNCF_LLM_NNODES"`,
        `echo "payload in ${options.payloadDir}"`,
        '',
      ].join('\n'),
    },
    { path: 'config/trl.yaml', content: `learning_rate: ${spec.hyperparameters.learningRate}\n` },
  ],
});

/** A fake Hub token, assembled at runtime so no token-shaped literal sits in the repo. */
export function fakeHubToken(): string {
  return ['hf', 'FAKE'.repeat(8)].join('_');
}

/** A valid spec with overrides merged one level deep. */
export function k8sSpec(overrides: Partial<TrainSpecInput> = {}): TrainSpec {
  const base: TrainSpecInput = {
    name: 'tiny-lora',
    baseModel: { id: 'test/tiny-llama' },
    dataset: { path: '/data/train.jsonl' },
    method: { type: 'lora', rank: 8 },
    hyperparameters: { learningRate: 2e-4, maxSteps: 20 },
    eval: { split: 'validation' },
    resources: { nodes: 1, gpusPerNode: 1, cpusPerTask: 2, memory: '4G', timeLimit: '01:00:00' },
    output: { dir: '/outputs/tiny-lora' },
    environment: { container: { image: 'ghcr.io/example/trl:0.24' } },
    kubernetes: { hfTokenSecret: { name: 'hf-token' } },
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
        ? { ...(current as object), ...(value as object) }
        : value;
  }
  return TrainSpecSchema.parse(merged);
}
