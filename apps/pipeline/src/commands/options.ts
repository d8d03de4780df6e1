import { InvalidArgumentError } from 'commander';

/** Parses a whole, non-negative number option, naming the option in the error. */
export function intOption(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} takes a whole number ≥ ${min}; got "${value}".`);
    }
    return n;
  };
}

/** Parses a comma-separated list option. */
export function listOption(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** An AbortSignal that fires on the first Ctrl-C, so long jobs stop cleanly and can resume. */
export function interruptSignal(onInterrupt: () => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    onInterrupt();
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
