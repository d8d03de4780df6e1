import { LauncherError } from './errors.js';

/** Waits `ms`, or throws `aborted` (saying what was interrupted) when `signal` fires first. */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  what = 'the operation',
  backend?: 'slurm' | 'k8s',
): Promise<void> {
  const aborted = () =>
    new LauncherError('aborted', `${what} was aborted`, backend ? { backend } : {});
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
