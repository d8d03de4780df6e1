import type { RenderedFile } from '../backend.js';
import { LauncherError } from '../errors.js';
import { SECRET_ENV_NAMES } from '../secrets.js';
import type { TrainSpec } from '../spec/schema.js';
import { renderAccelerateConfig } from './accelerate-config.js';
import { renderAxolotlConfig } from './axolotl-config.js';
import { readPayloadFile } from './payload-files.js';
import { renderRunScript } from './run-script.js';
import { deviceOf } from './training-choices.js';
import { renderTrlConfig } from './trl-config.js';

/** Where the payload lives and writes, as the job sees it. */
export interface PayloadOptions {
  /** Directory the payload files are placed in (Slurm: `<output.dir>/.cncf-llm`; Kubernetes: the ConfigMap mount). */
  payloadDir: string;
}

/** The files of one run's payload and the script that runs it on each node. */
export interface RenderedPayload {
  files: RenderedFile[];
  /** Path (relative to `payloadDir`) of the POSIX shell entry point run once per node. */
  entrypoint: string;
}

/** Python files shipped in the package's `payload/` directory, per trainer. */
const PYTHON_FILES = {
  trl: ['train_with_progress.py', 'progress_callback.py', 'progress_events.py', 'post_train.py'],
  axolotl: ['axolotl_progress.py', 'progress_callback.py', 'progress_events.py', 'post_train.py'],
} as const;

const TOKEN_SHAPES: readonly RegExp[] = [
  /\bhf_[A-Za-z0-9]{20,}\b/,
  /\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b/,
  /\bsk-[A-Za-z0-9_-]{20,}\b/,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/,
];

/**
 * Refuses to hand out a payload with a secret in it: the current value of any secret variable
 * (HF_TOKEN, WANDB_API_KEY, …) or a token-shaped string a spec smuggled in (a setup line, a
 * variable value). Secrets reach jobs by variable name only.
 */
function assertNoSecrets(spec: TrainSpec, files: readonly RenderedFile[]): void {
  const values = SECRET_ENV_NAMES.map((name) => [name, process.env[name]] as const).filter(
    (entry): entry is readonly [(typeof SECRET_ENV_NAMES)[number], string] =>
      typeof entry[1] === 'string' && entry[1].length >= 8,
  );
  for (const file of files) {
    for (const [name, value] of values) {
      if (file.content.includes(value)) {
        throw new LauncherError(
          'render-failed',
          `${spec.name}: the rendered ${file.path} would contain the value of ${name}; pass secrets by variable name only (the job inherits ${name} from the launching environment), and remove it from the spec`,
        );
      }
    }
    if (TOKEN_SHAPES.some((shape) => shape.test(file.content))) {
      throw new LauncherError(
        'render-failed',
        `${spec.name}: the rendered ${file.path} contains something shaped like an access token (from environment.setup or environment.variables?); pass secrets by variable name only`,
      );
    }
  }
}

/**
 * Renders the payload of one run (one sweep trial): the trainer config (`trl.yaml` for TRL's
 * `trl sft`, or `axolotl.yaml`), `accelerate.yaml` when the run spans several GPUs or nodes,
 * `run.sh` (the entry point, run once per node) and the Python helpers it calls
 * (`train_with_progress.py` — TRL's own `trl sft` plus a progress callback —, the axolotl progress
 * plugin, `post_train.py` for merge / GGUF / push). Pure apart from reading the shipped Python
 * files; nothing secret is ever written (checked).
 */
export function renderPayload(spec: TrainSpec, options: PayloadOptions): RenderedPayload {
  if (!options.payloadDir) {
    throw new LauncherError(
      'invalid-options',
      `${spec.name}: renderPayload needs options.payloadDir`,
    );
  }
  const device = deviceOf(spec);
  const trainerConfig =
    spec.trainer === 'trl'
      ? renderTrlConfig(spec, { outputDir: spec.output.dir, device })
      : renderAxolotlConfig(spec, { outputDir: spec.output.dir, device });
  const files: RenderedFile[] = [
    {
      path: spec.trainer === 'trl' ? 'trl.yaml' : 'axolotl.yaml',
      content: trainerConfig.yaml,
      mode: 0o644,
    },
  ];
  const accelerate = renderAccelerateConfig(spec);
  if (accelerate) files.push({ path: 'accelerate.yaml', content: accelerate.yaml, mode: 0o644 });
  files.push({ path: 'run.sh', content: renderRunScript(spec), mode: 0o755 });
  for (const name of PYTHON_FILES[spec.trainer]) {
    files.push({ path: name, content: readPayloadFile(name), mode: 0o644 });
  }
  assertNoSecrets(spec, files);
  return { files, entrypoint: 'run.sh' };
}
