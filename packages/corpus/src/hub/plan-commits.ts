import { compareCodeUnits } from './local-files.js';

/** Limits on one commit. */
export interface CommitLimits {
  maxBytes: number;
  maxFiles: number;
}

/** What one commit of a push carries. */
export interface CommitPlan<T extends { path: string; bytes: number }> {
  files: T[];
  /** Repository paths to delete. */
  deletions: string[];
  bytes: number;
}

/**
 * Splits a push into commits of at most `maxFiles` files and `maxBytes` bytes, in a stable
 * order: files by path, except the dataset card (`README.md`), which goes last so the card
 * never announces data that is not there yet. A file larger than `maxBytes` gets a commit of
 * its own. Deletions ride on the last commit, so stale files disappear only once their
 * replacements are in. No files and no deletions: no commits.
 */
export function planCommits<T extends { path: string; bytes: number }>(
  files: readonly T[],
  deletions: readonly string[],
  limits: CommitLimits,
): CommitPlan<T>[] {
  const ordered = [...files].sort((a, b) => {
    const cardA = a.path === 'README.md';
    const cardB = b.path === 'README.md';
    if (cardA !== cardB) return cardA ? 1 : -1;
    return compareCodeUnits(a.path, b.path);
  });
  const plans: CommitPlan<T>[] = [];
  let current: CommitPlan<T> | undefined;
  for (const file of ordered) {
    const fits =
      current !== undefined &&
      current.files.length + 1 <= limits.maxFiles &&
      current.bytes + file.bytes <= limits.maxBytes;
    if (!fits) {
      current = { files: [], deletions: [], bytes: 0 };
      plans.push(current);
    }
    current!.files.push(file);
    current!.bytes += file.bytes;
  }
  if (deletions.length > 0) {
    const last = plans.at(-1) ?? { files: [], deletions: [], bytes: 0 };
    if (plans.length === 0) plans.push(last);
    last.deletions = [...deletions].sort(compareCodeUnits);
  }
  return plans;
}
