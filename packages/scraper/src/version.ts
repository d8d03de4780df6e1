import { createRequire } from 'node:module';

// `../package.json` is the package manifest both from `src/` (tests) and from `dist/` (built).
const manifest = createRequire(import.meta.url)('../package.json') as { version: string };

/** This package's version, as written in its manifest; part of the user agent. */
export const VERSION: string = manifest.version;
