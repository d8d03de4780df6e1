import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { LauncherError } from '../errors.js';
import { type TrainSpec, type TrainSpecInput, TrainSpecSchema } from './schema.js';

/** Formats zod issues as `path: message` lines a user can act on. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const where = [prefix, path].filter(Boolean).join(': ');
    return `${where || '(spec)'}: ${issue.message}`;
  });
}

/**
 * Validates a spec object and fills in defaults. Throws `invalid-spec` listing every problem
 * (path and fix), not just the first.
 */
export function parseSpec(input: TrainSpecInput | unknown, source = 'spec'): TrainSpec {
  const result = TrainSpecSchema.safeParse(input);
  if (!result.success) {
    const issues = formatIssues(result.error.issues);
    throw new LauncherError(
      'invalid-spec',
      `${source} is not a valid fine-tune spec (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${issues.join('\n  ')}`,
      { issues },
    );
  }
  return result.data;
}

/** Parses spec text: YAML (a superset of JSON), so `.yaml`, `.yml` and `.json` all work. */
export function parseSpecText(text: string, source = 'spec'): TrainSpec {
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true });
  } catch (cause) {
    throw new LauncherError(
      'invalid-spec',
      `${source} is not valid YAML or JSON: ${(cause as Error).message}. Fix the syntax at the position shown.`,
      { cause },
    );
  }
  return parseSpec(value, source);
}

/** Reads and validates a spec file (YAML or JSON). */
export async function loadSpec(path: string): Promise<TrainSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new LauncherError(
      'spec-not-found',
      `could not read the spec ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}. Check the --spec path.`,
      { cause },
    );
  }
  return parseSpecText(text, path);
}
