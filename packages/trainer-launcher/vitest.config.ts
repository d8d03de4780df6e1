import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Each real cluster (Slurm, kube-apiserver) is started once per test file; running the files
    // one after another keeps two clusters from fighting over this machine's two cores.
    fileParallelism: false,
  },
});
