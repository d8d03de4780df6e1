/**
 * The real payload on CPU: the rendered run.sh runs TRL's `trl sft` (through
 * train_with_progress.py) on a tiny Llama built here, with LoRA, evaluation, checkpoints, resume,
 * the merge post-step and a failing run. Python: the venv clusters/provision-python.sh
 * makes (torch CPU, transformers, trl 1.13, peft, datasets, accelerate).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPayload } from '../../src/payload/render-payload.js';
import { renderTrlConfig } from '../../src/payload/trl-config.js';
import { PROGRESS_PREFIX, type ProgressEvent, parseProgress } from '../../src/progress.js';
import type { TrainSpecInput } from '../../src/spec/schema.js';
import { startHubStandIn } from './hub-stand-in.js';
import { run, writePayload } from './run-payload.js';
import { GEMMA_EXAMPLE, type SpecPatch, spec } from './specs.js';

const PACKAGE = resolve(import.meta.dirname, '../..');
const FIXTURES = join(PACKAGE, 'test/fixtures/chat');
const FAKE_TOKEN = ['hf', 'FAKE'.repeat(8)].join('_');

let venv = '';
let python = '';
let work = '';
let model = '';

function jobEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    LANG: 'C.UTF-8',
    HF_HUB_OFFLINE: '1',
    HF_DATASETS_OFFLINE: '1',
    TOKENIZERS_PARALLELISM: 'false',
    OMP_NUM_THREADS: '2',
    PYTHONDONTWRITEBYTECODE: '1',
    HF_TOKEN: FAKE_TOKEN,
    ...extra,
  };
}

function cpuSpec(name: string, dataset: string, outputDir: string, patch: SpecPatch = {}) {
  const base: TrainSpecInput = {
    name,
    baseModel: { id: model },
    dataset: { path: dataset, format: 'messages' },
    method: { type: 'lora', rank: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
    hyperparameters: {
      learningRate: 5e-3,
      maxSteps: 12,
      batchSize: 2,
      maxSeqLength: 256,
      warmupRatio: 0,
      loggingSteps: 1,
      saveSteps: 5,
      saveTotalLimit: 3,
      gradientCheckpointing: false,
    },
    eval: { split: 'validation', strategy: 'steps', steps: 5, batchSize: 4 },
    resources: { nodes: 1, gpusPerNode: 0, cpusPerTask: 2, memory: '4G', timeLimit: '00:10:00' },
    output: { dir: outputDir },
    tracking: { tensorboard: false },
    environment: {
      setup: [],
      variables: { CNCF_LLM_TEST: 'payload' },
      python,
      cacheDir: join(work, 'hf-home'),
    },
  };
  return spec(base, patch);
}

/** Renders, writes and runs a payload the way a backend does: `bash <payloadDir>/run.sh`. */
async function launch(specValue: ReturnType<typeof cpuSpec>, env: Record<string, string> = {}) {
  const payloadDir = join(specValue.output.dir, '.cncf-llm');
  await writePayload(renderPayload(specValue, { payloadDir }), payloadDir);
  const result = await run('bash', [join(payloadDir, 'run.sh')], { env: jobEnv(env), cwd: work });
  const progressText = existsSync(join(specValue.output.dir, 'progress.jsonl'))
    ? await readFile(join(specValue.output.dir, 'progress.jsonl'), 'utf8')
    : '';
  return { ...result, progressText, progress: parseProgress(progressText) };
}

function ofType<T extends ProgressEvent['event']>(events: ProgressEvent[], type: T) {
  return events.filter((e): e is Extract<ProgressEvent, { event: T }> => e.event === type);
}

beforeAll(async () => {
  const provisioned = await run('bash', [join(PACKAGE, 'clusters/provision-python.sh')], {
    timeoutMs: 600_000,
  });
  if (provisioned.code !== 0) throw new Error(`provision-python.sh failed:\n${provisioned.stderr}`);
  venv = provisioned.stdout.trim().split('\n').pop() ?? '';
  python = join(venv, 'bin/python');
  work = await mkdtemp(join(tmpdir(), 'cncf-llm-payload-'));
  model = join(work, 'tiny-llama');
  await cp(join(FIXTURES, 'messages'), join(work, 'chat'), { recursive: true });
  await cp(join(FIXTURES, 'prompt-completion'), join(work, 'prompt-completion'), {
    recursive: true,
  });
  const built = await run(python, [
    join(PACKAGE, 'clusters/tiny-model.py'),
    model,
    join(FIXTURES, 'messages/train.jsonl'),
  ]);
  if (built.code !== 0) throw new Error(`tiny-model.py failed:\n${built.stderr}`);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the rendered payload, run for real on CPU', () => {
  const out = () => join(work, 'runs/lora');

  it('trains LoRA with TRL, writes progress lines, checkpoints, evaluates and merges', async () => {
    const result = await launch(
      cpuSpec('tiny-lora', join(work, 'chat'), out(), { output: { merge: true } }),
    );
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.progress.invalid).toEqual([]);
    const events = result.progress.events;

    const [start] = ofType(events, 'start');
    expect(start).toMatchObject({
      run: 'tiny-lora',
      maxSteps: 12,
      worldSize: 1,
      resumedFrom: null,
    });
    const steps = ofType(events, 'step');
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const step of steps) {
      expect(step.loss).toBeGreaterThan(0);
      expect(step.tokensPerSecond).toBeGreaterThan(0);
      expect(step.learningRate).not.toBeNull();
      expect(step.etaSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(ofType(events, 'eval').map((e) => e.step)).toEqual([5, 10, 12]);
    expect(ofType(events, 'eval').every((e) => e.evalLoss > 0)).toBe(true);
    expect(ofType(events, 'checkpoint').map((e) => e.path)).toEqual(
      [5, 10, 12].map((n) => join(out(), `checkpoint-${n}`)),
    );
    const [end] = ofType(events, 'end');
    expect(end).toMatchObject({ status: 'succeeded', step: 12 });
    expect(end?.trainLoss).toBeGreaterThan(0);
    expect(end?.evalLoss).toBe(ofType(events, 'eval').at(-1)?.evalLoss);
    expect(ofType(events, 'post-step').map((e) => `${e.name}:${e.status}`)).toEqual([
      'merge:started',
      'merge:succeeded',
    ]);
    expect(Date.parse(start?.time ?? '')).not.toBeNaN();

    // The same lines reach stdout (what Kubernetes logs show), after the prefix.
    const fromLog = parseProgress(result.stdout);
    expect(result.stdout).toContain(PROGRESS_PREFIX);
    expect(fromLog.events).toEqual(events);

    for (const text of [result.stdout, result.stderr, result.progressText]) {
      expect(text).not.toContain(FAKE_TOKEN);
    }
    expect(existsSync(join(out(), 'adapter_model.safetensors'))).toBe(true);
    expect(existsSync(join(out(), 'adapter_config.json'))).toBe(true);

    const check = await run(python, [
      '-c',
      [
        'import json, sys',
        'from peft import PeftModel',
        'from transformers import AutoModelForCausalLM, AutoTokenizer',
        'base, out = sys.argv[1], sys.argv[2]',
        'adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), out)',
        'lora = sorted({n.split(".lora_")[0].rsplit(".", 1)[-1] for n, _ in adapted.named_parameters() if "lora_A" in n})',
        'merged = AutoModelForCausalLM.from_pretrained(out + "/merged")',
        'tok = AutoTokenizer.from_pretrained(out + "/merged")',
        'ids = tok.apply_chat_template([{"role": "user", "content": "kubectl get pods"}], add_generation_prompt=True, return_tensors="pt", return_dict=True)',
        'gen = merged.generate(**ids, max_new_tokens=3, do_sample=False)',
        'base_tok = AutoTokenizer.from_pretrained(base)',
        'print(json.dumps({"lora": lora, "r": adapted.peft_config["default"].r, "merged": type(merged).__name__, "generated": int(gen.shape[1] - ids["input_ids"].shape[1]), "sameTemplate": tok.chat_template == base_tok.chat_template}))',
      ].join('\n'),
      model,
      out(),
    ]);
    expect(check.code, check.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(check.stdout.trim().split('\n').pop() ?? '{}')).toEqual({
      lora: ['q_proj', 'v_proj'],
      r: 8,
      merged: 'LlamaForCausalLM',
      generated: 3,
      sameTemplate: true,
    });
  });

  it('resumes from the last checkpoint when run again with more steps (a requeued job)', async () => {
    const result = await launch(
      cpuSpec('tiny-lora', join(work, 'chat'), out(), { hyperparameters: { maxSteps: 15 } }),
    );
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.progress.invalid).toEqual([]);
    const starts = ofType(result.progress.events, 'start');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({ maxSteps: 15, resumedFrom: join(out(), 'checkpoint-12') });
    const afterResume = result.progress.events.slice(
      result.progress.events.indexOf(starts[1] as ProgressEvent),
    );
    expect(ofType(afterResume, 'step').map((s) => s.step)).toEqual([13, 14, 15]);
    expect(ofType(afterResume, 'end')[0]).toMatchObject({ status: 'succeeded', step: 15 });
  });

  it('runs the post-steps on the finished run: merge, GGUF through the converter, push with HF_TOKEN', async () => {
    const hub = await startHubStandIn();
    const converter = join(work, 'fake_convert_hf_to_gguf.py');
    // Stands in for llama.cpp's converter: checks the arguments it is given and writes the file.
    await writeFile(
      converter,
      [
        'import json, os, sys',
        'model, flag, outfile, flag2, outtype = sys.argv[1:6]',
        'assert flag == "--outfile" and flag2 == "--outtype", sys.argv',
        'assert os.path.exists(os.path.join(model, "model.safetensors")), model',
        'open(outfile, "w").write(json.dumps({"from": model, "outtype": outtype}))',
      ].join('\n'),
    );
    try {
      const result = await launch(
        cpuSpec('tiny-lora', join(work, 'chat'), out(), {
          hyperparameters: { maxSteps: 15 },
          output: {
            merge: true,
            gguf: { outtype: 'f16', converter },
            hub: { adapterRepo: 'me/tiny-adapter', mergedRepo: 'me/tiny-merged', private: false },
          },
        }),
        { HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '0' },
      );
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      const lastStart = result.progress.events.findLastIndex((e) => e.event === 'start');
      const post = ofType(result.progress.events.slice(lastStart), 'post-step').map(
        (e) => `${e.name}:${e.status}`,
      );
      expect(post).toEqual([
        'merge:started',
        'merge:succeeded',
        'gguf:started',
        'gguf:succeeded',
        'push-adapter:started',
        'push-adapter:succeeded',
        'push-merged:started',
        'push-merged:succeeded',
      ]);
      expect(JSON.parse(await readFile(join(out(), 'gguf/model-f16.gguf'), 'utf8'))).toEqual({
        from: join(out(), 'merged'),
        outtype: 'f16',
      });
      expect(hub.repos).toEqual([
        { repo: 'me/tiny-adapter', visibility: 'public', authorization: `Bearer ${FAKE_TOKEN}` },
        { repo: 'me/tiny-merged', visibility: 'public', authorization: `Bearer ${FAKE_TOKEN}` },
      ]);
      const adapter = hub.commits
        .filter((c) => c.repo === 'me/tiny-adapter')
        .flatMap((c) => [...c.files.keys()]);
      expect(adapter).toContain('adapter_model.safetensors');
      expect(adapter).toContain('adapter_config.json');
      expect(
        adapter.filter((p) => /checkpoint-|progress\.jsonl|^merged\/|^gguf\/|^\.cncf-llm/.test(p)),
      ).toEqual([]);
      const merged = hub.commits
        .filter((c) => c.repo === 'me/tiny-merged')
        .flatMap((c) => [...c.files.keys()]);
      expect(merged).toEqual(
        expect.arrayContaining([
          'config.json',
          'model.safetensors',
          'tokenizer.json',
          'model-f16.gguf',
        ]),
      );
      for (const text of [result.stdout, result.stderr, result.progressText])
        expect(text).not.toContain(FAKE_TOKEN);

      // Without a token the push fails with the fix in its detail, and the job exits non-zero.
      const noToken = await run(
        python,
        [
          join(out(), '.cncf-llm/post_train.py'),
          '--output-dir',
          out(),
          '--method',
          'lora',
          '--base-model',
          model,
          '--adapter-repo',
          'me/x',
        ],
        { env: { ...jobEnv({ HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '0' }), HF_TOKEN: '' } },
      );
      expect(noToken.code).toBe(1);
      const failed = parseProgress(noToken.stdout).events.at(-1);
      expect(failed).toMatchObject({ event: 'post-step', name: 'push-adapter', status: 'failed' });
      expect(failed?.event === 'post-step' && failed.detail).toMatch(/HF_TOKEN is not set/);
    } finally {
      await hub.close();
    }
  });

  it('trains on prompt/completion rows rendered by the chat template', async () => {
    const result = await launch(
      cpuSpec('tiny-pc', join(work, 'prompt-completion'), join(work, 'runs/pc'), {
        dataset: { path: join(work, 'prompt-completion'), format: 'prompt-completion' },
        hyperparameters: { maxSteps: 3 },
        eval: undefined,
      }),
    );
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(ofType(result.progress.events, 'end')[0]).toMatchObject({
      status: 'succeeded',
      step: 3,
    });
    expect(existsSync(join(work, 'runs/pc/adapter_model.safetensors'))).toBe(true);
  });

  it('computes the loss on assistant tokens only, through TRL’s own collator and the rendered config', async () => {
    const configFor = async (
      dataset: string,
      format: 'messages' | 'prompt-completion',
      loss: boolean,
    ) => {
      const s = cpuSpec('mask', dataset, join(work, 'runs/mask'), {
        dataset: { path: dataset, format },
        chatTemplate: { source: 'base-model', assistantOnlyLoss: loss },
      });
      const file = join(work, `mask-${format}-${loss}.yaml`);
      await writeFile(file, renderTrlConfig(s, { outputDir: join(work, 'runs/mask') }).yaml);
      return file;
    };
    const chatMasked = await configFor(join(work, 'chat'), 'messages', true);
    const chatAll = await configFor(join(work, 'chat'), 'messages', false);
    const pc = await configFor(join(work, 'prompt-completion'), 'prompt-completion', true);
    const result = await run(
      python,
      [
        join(PACKAGE, 'test/support/check-loss-mask.py'),
        join(PACKAGE, 'payload'),
        chatMasked,
        chatAll,
        `${pc}::chat`,
        pc,
      ],
      { env: jobEnv() },
    );
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    type Row = { text: string; trained: string; tokens: number; trainedTokens: number };
    const [masked, unmasked, asChat, raw] = JSON.parse(
      result.stdout.trim().split('\n').pop() ?? '[]',
    ) as Row[];
    const [firstChat] = (await readFile(join(work, 'chat/train.jsonl'), 'utf8')).split('\n');
    const answer =
      (JSON.parse(firstChat ?? '{}') as { messages: { content: string }[] }).messages[1]?.content ??
      '';

    expect(masked?.text.startsWith('<|im_start|>user\n')).toBe(true);
    expect(masked?.trained).toBe(`${answer}<|im_end|>`);
    expect(unmasked?.trainedTokens).toBe(unmasked?.tokens);

    // Prompt/completion rows: the payload turns them into a user and an assistant turn, so the
    // model trains on the chat template it is served with, and only the completion is learnt.
    expect(asChat?.text.startsWith('<|im_start|>user\n')).toBe(true);
    expect(asChat?.trained.startsWith(`${answer}<|im_end|>`)).toBe(true);
    // Without that conversion TRL would join raw prompt and completion text (the 2024 bug).
    expect(raw?.text.includes('<|im_start|>')).toBe(false);
  });

  it('writes a failed end line and exits non-zero when the dataset is missing', async () => {
    const result = await launch(
      cpuSpec('tiny-missing', join(work, 'no-such-dataset'), join(work, 'runs/missing')),
    );
    expect(result.code).not.toBe(0);
    expect(result.progress.invalid).toEqual([]);
    const ends = ofType(result.progress.events, 'end');
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ status: 'failed', step: 0 });
    expect(ends[0]?.error).toMatch(/no-such-dataset/);
    expect(ofType(result.progress.events, 'start')).toHaveLength(0);
    expect(result.progressText + result.stdout + result.stderr).not.toContain(FAKE_TOKEN);
  });

  it('adds a failed end line for a trainer that died without one, once', async () => {
    const file = join(work, 'killed/progress.jsonl');
    const lines = [
      {
        event: 'start',
        time: '2026-01-01T00:00:00.000Z',
        run: 'r',
        maxSteps: 9,
        epochs: 1,
        worldSize: 1,
        resumedFrom: null,
      },
      {
        event: 'step',
        time: '2026-01-01T00:00:01.000Z',
        step: 3,
        maxSteps: 9,
        epoch: 0.1,
        loss: 2,
        learningRate: 1e-4,
        tokensPerSecond: 10,
        etaSeconds: 6,
      },
      // axolotl's callback reports success at train end; a failure while saving comes after it.
      { event: 'end', time: '2026-01-01T00:00:02.000Z', status: 'succeeded', step: 3 },
    ];
    await mkdir(join(work, 'killed'), { recursive: true });
    await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const script = join(PACKAGE, 'payload/progress_events.py');
    for (let i = 0; i < 2; i++) {
      const result = await run(
        python,
        [script, 'end-if-missing', '--file', file, '--error', `exit 137 ${FAKE_TOKEN}`],
        { env: jobEnv() },
      );
      expect(result.code, result.stderr).toBe(0);
    }
    const { events, invalid } = parseProgress(await readFile(file, 'utf8'));
    expect(invalid).toEqual([]);
    expect(events.map((e) => e.event)).toEqual(['start', 'step', 'end', 'end']);
    expect(events.at(-1)).toMatchObject({
      status: 'failed',
      step: 3,
      error: 'exit 137 [REDACTED]',
    });
  });

  it('renders GPU configs that trl 1.13’s own parser accepts (Gemma QLoRA, full bf16, multi-node LoRA)', async () => {
    const variants = {
      gemma: spec(GEMMA_EXAMPLE),
      full: spec(GEMMA_EXAMPLE, { method: { type: 'full' }, hyperparameters: { packing: true } }),
      multi: spec(GEMMA_EXAMPLE, {
        method: { type: 'lora', targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
        resources: { nodes: 2, gpusPerNode: 4 },
        tracking: { tensorboard: true, wandb: { project: 'cncf-llm' } },
      }),
    };
    const files: string[] = [];
    for (const [name, value] of Object.entries(variants)) {
      const file = join(work, `gpu-${name}.yaml`);
      await writeFile(file, renderTrlConfig(value, { outputDir: join(work, `gpu-${name}`) }).yaml);
      files.push(file);
    }
    // The machine has no GPU: `--use_cpu true` on the command line only lets bf16 pass
    // transformers' hardware check; every key and value still comes from the rendered file.
    const result = await run(
      python,
      [
        '-c',
        [
          'import json, sys',
          'from trl.scripts.sft import make_parser',
          'out = []',
          'for f in sys.argv[1:]:',
          '    s, t, m, d = make_parser().parse_args_and_config(["--config", f, "--use_cpu", "true"], fail_with_unknown_args=True)',
          '    out.append({"lr": t.learning_rate, "optim": str(t.optim.value), "bf16": t.bf16, "peft": m.use_peft, "q4": m.load_in_4bit, "r": m.lora_r, "gc": t.gradient_checkpointing, "packing": t.packing, "accum": t.gradient_accumulation_steps, "epochs": t.num_train_epochs})',
          'print(json.dumps(out))',
        ].join('\n'),
        ...files,
      ],
      { env: jobEnv() },
    );
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '[]');
    expect(parsed).toEqual([
      {
        lr: 1.3446e-5,
        optim: 'paged_adamw_8bit',
        bf16: true,
        peft: true,
        q4: true,
        r: 32,
        gc: true,
        packing: false,
        accum: 8,
        epochs: 5,
      },
      {
        lr: 1.3446e-5,
        optim: 'adamw_torch_fused',
        bf16: true,
        peft: false,
        q4: false,
        r: 16,
        gc: true,
        packing: true,
        accum: 8,
        epochs: 5,
      },
      {
        lr: 1.3446e-5,
        optim: 'adamw_torch_fused',
        bf16: true,
        peft: true,
        q4: false,
        r: 32,
        gc: true,
        packing: false,
        accum: 8,
        epochs: 5,
      },
    ]);
  });
});
