// Launcher overhead on the real test clusters: how long status, list and launch take with 100
// runs submitted. The target (issue 5): status of 100 jobs in under a second. The training speed
// itself is the trainer's (see Documentation/training.md). Run: pnpm --filter
// @cncf-llm/trainer-launcher bench (needs root and clusters/provision.sh; builds dist first).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubernetesBackend, createSlurmBackend, parseSpec } from '../dist/index.js';
import { startFakeKubelet, startKubeCluster, startSlurmCluster } from '../dist/testing.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const work = await mkdtemp(join(tmpdir(), 'launcher-bench-'));

// A payload that just waits: the bench measures the launcher, not training.
const sleeper = () => ({
  entrypoint: 'run.sh',
  files: [{ path: 'run.sh', mode: 0o755, content: '#!/usr/bin/env bash\nsleep 600\n' }],
});

const specFor = (i) =>
  parseSpec({
    name: `bench-${String(i).padStart(3, '0')}`,
    baseModel: { id: 'org/model' },
    dataset: { path: '/data/train.jsonl' },
    method: { type: 'lora' },
    hyperparameters: { learningRate: 1e-4 },
    resources: { nodes: 1, gpusPerNode: 0, cpusPerTask: 1, memory: '100M', timeLimit: '00:30:00' },
    output: { dir: join(work, 'runs', `bench-${i}`) },
    environment: { container: { image: 'registry.example/trl:1.13' } },
    slurm: { partition: 'debug' },
  });

async function time(label, fn, repeat = 5) {
  const times = [];
  let value;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    value = await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  return { label, median, value };
}

const rows = [];
function report(backend, result, targetMs) {
  const ratio = targetMs
    ? ` (${(targetMs / result.median).toFixed(1)}× under the ${targetMs} ms target)`
    : '';
  rows.push(
    `${backend.padEnd(10)} ${result.label.padEnd(36)} ${result.median.toFixed(1).padStart(8)} ms${ratio}`,
  );
  console.log(rows.at(-1));
}

// Slurm: 100 jobs queued on the real 22.05 cluster (2 running, the rest pending).
{
  const cluster = await startSlurmCluster();
  try {
    const slurm = createSlurmBackend({
      env: cluster.env,
      payload: sleeper,
      recordsDir: join(work, 'records'),
    });
    const specs = Array.from({ length: RUNS }, (_, i) => specFor(i));
    const t0 = performance.now();
    for (const spec of specs) await slurm.launch(spec);
    report('slurm', { label: `launch (mean of ${RUNS})`, median: (performance.now() - t0) / RUNS });
    const names = specs.map((s) => s.name);
    const statuses = await time(`statuses of ${RUNS} runs`, () => slurm.statuses(names));
    if (statuses.value.length !== RUNS)
      throw new Error(`statuses returned ${statuses.value.length}`);
    report('slurm', statuses, 1000);
    const list = await time(`list (${RUNS} runs)`, () => slurm.list());
    report('slurm', list, 1000);
    report('slurm', await time('status of one run', () => slurm.status(names[50])));
    report('slurm', await time('launch again (idempotent)', () => slurm.launch(specs[0])));
  } finally {
    await cluster.stop();
  }
}

// Kubernetes: 100 Jobs (+ ConfigMaps) on the real 1.20 API server; pods stay Pending/bound.
{
  const cluster = await startKubeCluster();
  const kubelet = await startFakeKubelet({
    kubeConfig: cluster.kubeConfig,
    tls: cluster.kubeletTls,
  });
  try {
    const k8s = createKubernetesBackend({ kubeConfig: cluster.kubeConfig, payload: sleeper });
    const specs = Array.from({ length: RUNS }, (_, i) => specFor(i));
    const t0 = performance.now();
    for (const spec of specs) await k8s.launch(spec);
    report('k8s', { label: `launch (mean of ${RUNS})`, median: (performance.now() - t0) / RUNS });
    const list = await time(`list (${RUNS} runs)`, () => k8s.list());
    if (list.value.length < RUNS) throw new Error(`list returned ${list.value.length}`);
    report('k8s', list, 1000);
    report('k8s', await time('status of one run', () => k8s.status(specs[50].name)));
    report('k8s', await time('launch again (idempotent)', () => k8s.launch(specs[0])));
  } finally {
    await kubelet.stop();
    await cluster.stop();
  }
}

await rm(work, { recursive: true, force: true });
console.log(
  `\nmedian of 5 runs each; ${RUNS} runs submitted per backend; ${new Date().toISOString()}`,
);
