import { createRequire } from 'node:module';

// `../package.json` is the manifest from both `src/` and `dist/`.
export const VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
