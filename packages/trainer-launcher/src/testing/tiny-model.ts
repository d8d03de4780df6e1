import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LauncherError } from '../errors.js';
import { packageRoot } from '../payload/payload-files.js';

const run = promisify(execFile);

/**
 * Creates (once, cached under `$CNCF_LLM_CACHE` or `~/.cache/cncf-llm`) the Python venv that
 * runs the payload on CPU: torch (CPU build), transformers, trl, peft, datasets, accelerate.
 * Returns the venv's directory; its Python is `<venv>/bin/python`.
 */
export async function provisionPython(options: { timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(packageRoot(), 'clusters', 'provision-python.sh')], {
      timeout: options.timeoutMs ?? 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim().split('\n').pop() ?? '';
  } catch (cause) {
    throw new LauncherError(
      'command-failed',
      `clusters/provision-python.sh failed: ${(cause as { stderr?: string }).stderr?.slice(-2000) ?? (cause as Error).message}`,
      { cause },
    );
  }
}

/**
 * Builds a tiny random-weight Llama (hidden size 64, 2 layers) with a byte-level BPE tokenizer
 * trained on the given chat or prompt/completion JSONL files and a chat template that marks
 * assistant turns for assistant-only loss. Trains for real on CPU in seconds: a smoke test of a
 * cluster and payload, not a model.
 */
export async function buildTinyModel(options: {
  python: string;
  outDir: string;
  data: readonly string[];
}): Promise<string> {
  try {
    await run(
      options.python,
      [join(packageRoot(), 'clusters', 'tiny-model.py'), options.outDir, ...options.data],
      {
        timeout: 300_000,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
    );
  } catch (cause) {
    throw new LauncherError(
      'command-failed',
      `tiny-model.py failed: ${(cause as { stderr?: string }).stderr?.slice(-2000) ?? (cause as Error).message}`,
      { cause },
    );
  }
  return options.outDir;
}
