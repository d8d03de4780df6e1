import { describe, expect, it } from 'vitest';
import { planCommits } from './plan-commits.js';

const file = (path: string, bytes: number) => ({ path, bytes });
const paths = (plans: ReturnType<typeof planCommits>) =>
  plans.map((plan) => plan.files.map((entry) => entry.path));

describe('planCommits', () => {
  const files = [
    file('README.md', 10),
    file('data/validation-00000-of-00001.parquet', 30),
    file('data/train-00001-of-00002.parquet', 50),
    file('data/train-00000-of-00002.parquet', 50),
  ];

  it('keeps everything in one commit under the limits, the card last', () => {
    const plans = planCommits(files, [], { maxBytes: 1000, maxFiles: 100 });
    expect(paths(plans)).toEqual([
      [
        'data/train-00000-of-00002.parquet',
        'data/train-00001-of-00002.parquet',
        'data/validation-00000-of-00001.parquet',
        'README.md',
      ],
    ]);
    expect(plans[0]?.bytes).toBe(140);
  });

  it('splits by bytes without ever splitting a file, in the same order', () => {
    const plans = planCommits(files, [], { maxBytes: 60, maxFiles: 100 });
    expect(paths(plans)).toEqual([
      ['data/train-00000-of-00002.parquet'],
      ['data/train-00001-of-00002.parquet'],
      ['data/validation-00000-of-00001.parquet', 'README.md'],
    ]);
    const oversized = planCommits([file('big.parquet', 500)], [], { maxBytes: 60, maxFiles: 100 });
    expect(paths(oversized)).toEqual([['big.parquet']]);
  });

  it('splits by file count', () => {
    const plans = planCommits(files, [], { maxBytes: 1000, maxFiles: 3 });
    expect(plans.map((plan) => plan.files.length)).toEqual([3, 1]);
    expect(plans.at(-1)?.files[0]?.path).toBe('README.md');
  });

  it('puts deletions on the last commit, and makes a commit for deletions alone', () => {
    const plans = planCommits(files, ['data/train-00000-of-00003.parquet'], {
      maxBytes: 60,
      maxFiles: 100,
    });
    expect(plans.map((plan) => plan.deletions)).toEqual([
      [],
      [],
      ['data/train-00000-of-00003.parquet'],
    ]);
    expect(planCommits([], ['data/old.parquet'], { maxBytes: 1, maxFiles: 1 })).toEqual([
      { files: [], deletions: ['data/old.parquet'], bytes: 0 },
    ]);
    expect(planCommits([], [], { maxBytes: 1, maxFiles: 1 })).toEqual([]);
  });
});
