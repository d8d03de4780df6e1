import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  collectSweepResults,
  expandSweep,
  formatSweepTable,
  isFinalState,
  isLauncherError,
  loadSpec,
  type ProgressSummary,
  type RunStatus,
  summariseProgress,
  type TrainSpec,
  watchRun,
} from '@cncf-llm/trainer-launcher';
import type { Command } from 'commander';
import { interruptSignal, intOption } from './options.js';
import { type BackendFlags, backendOption, createBackend } from './train-backend.js';

interface CommonFlags extends BackendFlags {
  json?: boolean;
}

function withBackendOptions(command: Command): Command {
  return command
    .requiredOption('--backend <slurm|k8s>', 'where to run: slurm or k8s', backendOption)
    .option('--ssh <user@host[:port]>', 'Slurm: run the Slurm commands on this login node over ssh')
    .option('--ssh-key <file>', 'Slurm: ssh identity file')
    .option(
      '--slurmrestd <url>',
      'Slurm: talk to slurmrestd (JWT from SLURM_JWT) instead of the commands',
    )
    .option('--slurm-user <name>', 'Slurm: user name for slurmrestd (default: $USER)')
    .option(
      '--kubeconfig <file>',
      'Kubernetes: kubeconfig (default: $KUBECONFIG or ~/.kube/config)',
    )
    .option('--namespace <ns>', 'Kubernetes: namespace (default: the spec’s, else "default")')
    .option('--json', 'print JSON');
}

function formatStatus(status: RunStatus): string {
  const parts = [`${status.name} (${status.backend} ${status.id}): ${status.state}`];
  if (status.raw && status.raw.toLowerCase() !== status.state) parts.push(`[${status.raw}]`);
  if (status.reason) parts.push(`— ${status.reason}`);
  if (status.exitCode !== undefined) parts.push(`exit ${status.exitCode}`);
  return parts.join(' ');
}

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `step 120/1800 (6.7%), loss 1.42, eval 1.51, 3,900 tokens/s, ETA 1 h 26 min`. */
export function formatProgress(p: ProgressSummary): string {
  const pct = p.maxSteps > 0 ? ` (${((100 * p.step) / p.maxSteps).toFixed(1)}%)` : '';
  const bits = [`step ${p.step}/${p.maxSteps || '?'}${pct}`];
  if (p.loss !== null) bits.push(`loss ${p.loss.toFixed(4)}`);
  if (p.evalLoss !== null) bits.push(`eval ${p.evalLoss.toFixed(4)}`);
  if (p.tokensPerSecond !== null)
    bits.push(`${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tokens/s`);
  if (p.ended === null) bits.push(`ETA ${formatEta(p.etaSeconds)}`);
  return bits.join(', ');
}

function fail(error: unknown): never {
  if (isLauncherError(error)) {
    process.stderr.write(`cncf-llm train: ${error.message}\n`);
    process.exit(error.code === 'exceeds-cluster' || error.code === 'invalid-spec' ? 2 : 1);
  }
  throw error;
}

/** Follows a run until it ends, one rewritten line on a TTY, JSON lines otherwise. */
async function follow(
  flags: CommonFlags,
  run: string,
  signal: AbortSignal,
  trial?: number,
): Promise<RunStatus> {
  const backend = createBackend(flags);
  const tty = Boolean(process.stderr.isTTY) && !flags.json;
  let last: RunStatus | undefined;
  for await (const event of watchRun(backend, run, {
    intervalMs: 2000,
    signal,
    ...(trial !== undefined ? { trial } : {}),
  })) {
    last = event.status;
    if (!tty) {
      process.stderr.write(
        `${JSON.stringify(
          event.type === 'state-changed'
            ? {
                event: 'state-changed',
                run,
                state: event.status.state,
                raw: event.status.raw,
                reason: event.status.reason,
              }
            : { event: event.type, run, state: event.status.state, ...event.progress },
        )}\n`,
      );
    } else if (event.type === 'state-changed') {
      process.stderr.write(`\r\x1b[K${formatStatus(event.status)}\n`);
    } else if (event.type === 'progress') {
      process.stderr.write(`\r\x1b[K${run}: ${formatProgress(event.progress)}`);
    } else {
      process.stderr.write(
        `\r\x1b[K${run}: ended ${event.status.state}; ${formatProgress(event.progress)}\n`,
      );
    }
  }
  if (!last) throw new Error(`no status for ${run}`);
  return last;
}

async function writeRendered(
  out: string,
  files: { path: string; content: string; mode?: number }[],
): Promise<void> {
  for (const file of files) {
    const target = join(out, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { mode: file.mode ?? 0o644 });
  }
}

async function sweepResults(flags: CommonFlags, spec: TrainSpec) {
  const backend = createBackend(flags);
  const trials = expandSweep(spec);
  const status = await backend.status(spec.name);
  const byIndex = new Map(
    trials.map((t) => [t.index, status.tasks?.find((s) => s.name === t.name) ?? status] as const),
  );
  const observed = new Map(
    await Promise.all(
      trials.map(async (t) => {
        const events = await backend.progress(spec.name, { trial: t.index }).catch(() => []);
        return [t.index, { state: (byIndex.get(t.index) as RunStatus).state, events }] as const;
      }),
    ),
  );
  return collectSweepResults(trials, observed);
}

/** `cncf-llm train render|launch|status|logs|cancel|list|sweep`. */
export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('Fine-tune from one spec on Slurm or Kubernetes: render, launch, watch, sweep.');

  withBackendOptions(
    train
      .command('render')
      .description(
        'Show (or write with --out) the trainer config, run.sh and the sbatch script or manifests. Contacts no cluster.',
      )
      .requiredOption('--spec <file>', 'fine-tune spec (YAML or JSON)')
      .option('--out <dir>', 'write the rendered files here'),
  ).action(async (flags: CommonFlags & { spec: string; out?: string }) => {
    try {
      const spec = await loadSpec(flags.spec);
      const rendered = createBackend(flags).render(spec);
      if (flags.out) await writeRendered(flags.out, rendered.files);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rendered, null, 2)}\n`);
        return;
      }
      const lines = [rendered.summary, ''];
      if (flags.out) lines.push(`Wrote ${rendered.files.length} files to ${flags.out}.`);
      else for (const f of rendered.files) lines.push(`──── ${f.path}`, f.content.trimEnd(), '');
      process.stdout.write(`${lines.join('\n')}\n`);
    } catch (error) {
      fail(error);
    }
  });

  withBackendOptions(
    train
      .command('launch')
      .description(
        'Validate the spec against the cluster and submit it (once: a second launch of the same run does not submit again).',
      )
      .requiredOption('--spec <file>', 'fine-tune spec (YAML or JSON)')
      .option('--dry-run', 'validate against the live cluster and render, but submit nothing')
      .option('--wait', 'follow the run until it ends, with progress from the payload'),
  ).action(async (flags: CommonFlags & { spec: string; dryRun?: boolean; wait?: boolean }) => {
    const interrupt = interruptSignal(() =>
      process.stderr.write('\nStopped watching; the run goes on.\n'),
    );
    try {
      const spec = await loadSpec(flags.spec);
      const backend = createBackend(flags);
      const result = await backend.launch(spec, {
        ...(flags.dryRun ? { dryRun: true } : {}),
        signal: interrupt.signal,
      });
      if (flags.json && !flags.wait) {
        process.stdout.write(
          `${JSON.stringify({ submitted: result.submitted, status: result.status, summary: result.rendered.summary }, null, 2)}\n`,
        );
        return;
      }
      const what = flags.dryRun
        ? `Dry run: ${spec.name} fits; nothing was submitted.\n${result.rendered.summary}`
        : result.submitted
          ? `Submitted ${formatStatus(result.status)}`
          : `Already submitted, not submitted again: ${formatStatus(result.status)}`;
      // With --json --wait, stdout carries only the final status as JSON.
      (flags.json ? process.stderr : process.stdout).write(`${what}\n`);
      if (flags.wait && !flags.dryRun) {
        const final = await follow(flags, spec.name, interrupt.signal);
        if (flags.json) process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
        if (final.state !== 'succeeded') process.exitCode = 1;
      }
    } catch (error) {
      if (isLauncherError(error, 'aborted')) return;
      fail(error);
    } finally {
      interrupt.dispose();
    }
  });

  withBackendOptions(
    train
      .command('status')
      .description('The run’s state on the launcher’s state machine, and its latest progress.')
      .argument('<run>', 'run name (the spec’s name) or job id')
      .option('--trial <n>', 'sweep trial whose progress to show', intOption('--trial')),
  ).action(async (run: string, flags: CommonFlags & { trial?: number }) => {
    try {
      const backend = createBackend(flags);
      const status = await backend.status(run);
      const events = await backend
        .progress(run, flags.trial !== undefined ? { trial: flags.trial } : {})
        .catch(() => []);
      const progress = summariseProgress(events);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ status, progress: events.length ? progress : null }, null, 2)}\n`,
        );
        return;
      }
      const lines = [formatStatus(status)];
      if (events.length) lines.push(`  ${formatProgress(progress)}`);
      for (const task of status.tasks ?? []) lines.push(`  ${formatStatus(task)}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    } catch (error) {
      fail(error);
    }
  });

  withBackendOptions(
    train
      .command('logs')
      .description('Print the run’s log (stdout and stderr of the payload).')
      .argument('<run>', 'run name or job id')
      .option('-f, --follow', 'keep printing until the run ends')
      .option('--tail <n>', 'only the last N lines', intOption('--tail'))
      .option('--trial <n>', 'sweep trial', intOption('--trial')),
  ).action(
    async (
      run: string,
      flags: CommonFlags & { follow?: boolean; tail?: number; trial?: number },
    ) => {
      const interrupt = interruptSignal(() => undefined);
      try {
        const backend = createBackend(flags);
        for await (const line of backend.logs(run, {
          ...(flags.follow ? { follow: true } : {}),
          ...(flags.tail !== undefined ? { tail: flags.tail } : {}),
          ...(flags.trial !== undefined ? { trial: flags.trial } : {}),
          signal: interrupt.signal,
        })) {
          process.stdout.write(`${line}\n`);
        }
      } catch (error) {
        if (isLauncherError(error, 'aborted')) return;
        fail(error);
      } finally {
        interrupt.dispose();
      }
    },
  );

  withBackendOptions(
    train
      .command('cancel')
      .description('Cancel the run (every trial of a sweep).')
      .argument('<run>', 'run name or job id'),
  ).action(async (run: string, flags: CommonFlags) => {
    try {
      const status = await createBackend(flags).cancel(run);
      process.stdout.write(
        flags.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`,
      );
    } catch (error) {
      fail(error);
    }
  });

  withBackendOptions(
    train.command('list').description('Runs this launcher submitted, newest first.'),
  ).action(async (flags: CommonFlags) => {
    try {
      const runs = await createBackend(flags).list();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      process.stdout.write(runs.length ? `${runs.map(formatStatus).join('\n')}\n` : 'No runs.\n');
    } catch (error) {
      fail(error);
    }
  });

  withBackendOptions(
    train
      .command('sweep')
      .description(
        'Launch the spec’s sweep (a Slurm job array, or one Job per trial), or on a re-run gather its results: final eval loss per trial, best marked *.',
      )
      .requiredOption('--spec <file>', 'fine-tune spec with a sweep section')
      .option('--dry-run', 'list the trials and render, but submit nothing')
      .option('--wait', 'wait until every trial has ended, then print the table'),
  ).action(async (flags: CommonFlags & { spec: string; dryRun?: boolean; wait?: boolean }) => {
    const interrupt = interruptSignal(() =>
      process.stderr.write('\nStopped watching; the sweep goes on.\n'),
    );
    try {
      const spec = await loadSpec(flags.spec);
      if (!spec.sweep) {
        process.stderr.write(
          `cncf-llm train sweep: ${flags.spec} has no sweep section; use \`train launch\` for a single run.\n`,
        );
        process.exitCode = 2;
        return;
      }
      const trials = expandSweep(spec);
      const backend = createBackend(flags);
      const result = await backend.launch(spec, {
        ...(flags.dryRun ? { dryRun: true } : {}),
        signal: interrupt.signal,
      });
      if (flags.dryRun) {
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({ trials: trials.map((t) => ({ name: t.name, values: t.values })), summary: result.rendered.summary }, null, 2)}\n`,
          );
          return;
        }
        const table = trials.map((t) => `${t.name}  ${JSON.stringify(t.values)}`).join('\n');
        process.stdout.write(`Dry run: ${trials.length} trials, nothing submitted.\n${table}\n`);
        return;
      }
      process.stderr.write(
        `${result.submitted ? 'Submitted' : 'Already submitted'} ${trials.length} trials: ${formatStatus(result.status)}\n`,
      );
      if (flags.wait) {
        for (;;) {
          const status = await backend.status(spec.name);
          if (
            isFinalState(status.state) &&
            (status.tasks ?? []).every((t) => isFinalState(t.state))
          )
            break;
          await new Promise((r) => setTimeout(r, 2000));
          if (interrupt.signal.aborted) return;
        }
      }
      const results = await sweepResults(flags, spec);
      if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        process.stdout.write(`${formatSweepTable(results)}\n`);
        process.stdout.write(
          results.best
            ? `Best trial: ${results.best.name} (eval_loss ${results.best.evalLoss?.toFixed(4)}) with ${JSON.stringify(results.best.values)}\n`
            : 'No trial has finished with an eval loss yet.\n',
        );
      }
    } catch (error) {
      fail(error);
    } finally {
      interrupt.dispose();
    }
  });
}
