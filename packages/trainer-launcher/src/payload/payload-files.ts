import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LauncherError } from '../errors.js';

const PACKAGE_NAME = '@cncf-llm/trainer-launcher';

let cachedRoot: string | undefined;

/**
 * The package root (the directory with this package's package.json), found by walking up from
 * this module: `src/payload/` under vitest, `dist/` once bundled by tsup.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        if (name === PACKAGE_NAME) {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // Not a readable manifest; keep walking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new LauncherError(
        'io-error',
        `could not find the ${PACKAGE_NAME} package root above ${fileURLToPath(import.meta.url)}; reinstall the package`,
      );
    }
    dir = parent;
  }
}

const cache = new Map<string, string>();

/** Reads one of the Python files shipped in the package's `payload/` directory. */
export function readPayloadFile(name: string): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const path = join(packageRoot(), 'payload', name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new LauncherError(
      'io-error',
      `could not read the payload file ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}; reinstall the package (its "files" include payload/)`,
      { cause },
    );
  }
  cache.set(name, text);
  return text;
}
