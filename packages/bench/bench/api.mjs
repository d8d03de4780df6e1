// In-process timing of this package's API on the benchmark files: references prepared once and
// shared by the 16 systems, file reading excluded. The first run includes V8's warm-up (what a
// one-shot script pays); the best of the next runs is the steady state of a long-lived process.
import { readFileSync } from 'node:fs';
import {
  computeStatistics,
  createMetric,
  prepareReferences,
  scoreStatistics,
} from '../dist/index.js';

const [refPath, ...sysPaths] = process.argv.slice(2);
const read = (p) => readFileSync(p, 'utf8').replace(/\n$/, '').split('\n');
const refs = [read(refPath)];
const systems = sysPaths.map(read);
const out = {};
for (const id of ['bleu', 'chrf', 'ter']) {
  const runs = [];
  let scores;
  for (let r = 0; r < 4; r++) {
    const start = performance.now();
    const metric = createMetric(id);
    const prepared = prepareReferences(metric, refs);
    scores = systems.map(
      (s) => scoreStatistics(metric, computeStatistics(metric, s, prepared), prepared.nrefs).score,
    );
    runs.push((performance.now() - start) / 1000);
  }
  out[id] = { firstSeconds: runs[0], bestSeconds: Math.min(...runs.slice(1)), scores };
}
console.log(JSON.stringify(out));
