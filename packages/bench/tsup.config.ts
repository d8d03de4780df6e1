import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
  // Bundled so that the CLI starts fast: zod/mini as one tree-shaken module loads in ~10 ms,
  // against ~100 ms for resolving and compiling its many files. zod stays a dependency
  // for its types.
  noExternal: ['zod'],
});
