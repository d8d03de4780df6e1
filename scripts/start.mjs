// `pnpm start`: the main job on the embedded defaults, offline. Every step is the real CLI:
//   1. the CNCF projects of the bundled landscape.yml (graduated ones);
//   2. a corpus built from the bundled scrape of the etcd and Prometheus docs and the TAG
//      Security whitepaper (what `cncf-llm scrape` writes), then exported as a Hub dataset;
//   3. the bundled example model outputs scored with BLEU, chrF and TER;
//   4. the example fine-tune spec (the prototype's best run, Gemma-2 9B IT QLoRA) rendered for
//      Slurm and for Kubernetes: the TRL config, run.sh, job.sbatch and the manifests. Rendering
//      contacts no cluster; `cncf-llm train launch` submits the same files.
// Outputs go to out/start/ (ignored by git); run it again and the corpus build is idempotent.

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps', 'pipeline', 'dist', 'cli.js');
const out = join(root, 'out', 'start');
mkdirSync(out, { recursive: true });

const step = (title, args, cwd = root) => {
  process.stdout.write(`\n== ${title}\n$ cncf-llm ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

step('Graduated CNCF projects (bundled landscape.yml)', [
  'landscape',
  '--file',
  'packages/scraper/test/fixtures/landscape/landscape.yml',
  '--maturity',
  'graduated',
]);
step('Corpus from the bundled scrape of the etcd and Prometheus docs', [
  'corpus',
  'build',
  '--in',
  'packages/corpus/test/fixtures/documents/documents.jsonl',
  '--db',
  join(out, 'corpus.duckdb'),
]);
step('Hugging Face dataset (Parquet + card)', [
  'dataset',
  'export',
  '--db',
  join(out, 'corpus.duckdb'),
  '--out',
  join(out, 'dataset'),
]);
step(
  'Model outputs scored against references (BLEU, chrF, TER)',
  [
    'bench',
    'score',
    'reference.txt',
    '-i',
    'system-a.txt',
    'system-b.txt',
    '-m',
    'bleu',
    'chrf',
    'ter',
    '-f',
    'text',
  ],
  join(root, 'packages', 'bench', 'examples'),
);
for (const backend of ['slurm', 'k8s']) {
  step(`Fine-tune job for ${backend} from examples/gemma-2-9b-it-qlora.yaml`, [
    'train',
    'render',
    '--backend',
    backend,
    '--spec',
    'examples/gemma-2-9b-it-qlora.yaml',
    '--out',
    join(out, `train-${backend}`),
  ]);
}
