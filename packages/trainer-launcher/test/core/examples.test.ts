import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createKubernetesBackend } from '../../src/k8s/kubernetes-backend.js';
import { checkOptionNames } from '../../src/payload/option-names.js';
import { createSlurmBackend } from '../../src/slurm/slurm-backend.js';
import { loadSpec } from '../../src/spec/load.js';

const examples = new URL('../../../../examples/', import.meta.url).pathname;
const fakeHub = ['hf', 'EXAMPLEFAKE'.repeat(3)].join('_');

// Rendering contacts no cluster: these backends are never asked to connect.
const kubeConfig = new KubeConfig();
kubeConfig.loadFromOptions({
  clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
  users: [{ name: 'u', user: {} }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  currentContext: 'x',
});

describe('the example specs render for both backends', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = fakeHub;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = saved;
  });

  for (const file of ['gemma-2-9b-it-qlora.yaml', 'gemma-2-9b-it-qlora-sweep.yaml']) {
    it(`${file}: sbatch + TRL config on Slurm, manifests on Kubernetes, no secret anywhere`, async () => {
      const spec = await loadSpec(join(examples, file));
      const slurm = createSlurmBackend({ recordsDir: '/nonexistent-records' }).render(spec);
      const k8s = createKubernetesBackend({ kubeConfig }).render(spec);
      const trials = spec.sweep ? 6 : 1;
      expect(slurm.trials).toHaveLength(trials);
      expect(k8s.trials).toHaveLength(trials);

      const sbatch = slurm.files.find((f) => f.path.endsWith('job.sbatch'));
      expect(sbatch?.content).toMatch(/#SBATCH --partition=gpu/);
      if (spec.sweep) expect(sbatch?.content).toMatch(/#SBATCH --array=0-5%3/);

      const trlFiles = slurm.files.filter((f) => f.path.endsWith('trl.yaml'));
      expect(trlFiles).toHaveLength(trials);
      for (const f of trlFiles) {
        const config = parseYaml(f.content) as Record<string, unknown>;
        expect(checkOptionNames(config, 'trl')).toEqual([]);
        expect(config).toMatchObject({
          model_name_or_path: 'google/gemma-2-9b-it',
          load_in_4bit: true,
          bf16: true,
          assistant_only_loss: true,
        });
      }
      if (!spec.sweep) {
        const config = parseYaml(trlFiles[0]?.content ?? '') as Record<string, unknown>;
        expect(config).toMatchObject({
          lora_r: 32,
          lora_alpha: 64,
          lora_dropout: 0.1,
          learning_rate: 1.3446e-5,
          num_train_epochs: 5,
          per_device_train_batch_size: 4,
          gradient_accumulation_steps: 8,
          max_length: 1024,
        });
      }
      const k8sText = k8s.files.map((f) => f.content).join('\n');
      expect(k8sText).toMatch(/secretKeyRef/);
      expect(k8sText).toMatch(/kueue\.x-k8s\.io\/queue-name: gpu-queue/);
      for (const text of [...slurm.files, ...k8s.files].map((f) => f.content))
        expect(text).not.toContain(fakeHub);
    });
  }
});
