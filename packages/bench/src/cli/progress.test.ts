import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createProgress', () => {
  it('stays silent for short work', () => {
    const out: string[] = [];
    const c = clock();
    const p = createProgress('scoring', { write: (s) => out.push(s) }, { now: c.now });
    c.advance(500);
    p.update(100);
    p.done(100);
    expect(out).toEqual([]);
  });

  it('writes JSON lines with count, rate and ETA when not on a terminal', () => {
    const out: string[] = [];
    const c = clock();
    const p = createProgress('scoring', { write: (s) => out.push(s) }, { now: c.now, total: 400 });
    c.advance(2000);
    p.update(100);
    c.advance(100);
    p.update(110); // throttled
    c.advance(2000);
    p.update(300);
    p.done(400);
    const events = out.map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(['progress', 'progress', 'progress-done']);
    expect(events[0]).toMatchObject({
      label: 'scoring',
      count: 100,
      total: 400,
      rate: 50,
      etaSeconds: 6,
    });
  });

  it('rewrites one line on a terminal', () => {
    const out: string[] = [];
    const c = clock();
    const p = createProgress('scoring', { isTTY: true, write: (s) => out.push(s) }, { now: c.now });
    c.advance(1500);
    p.update(3000);
    p.done(3000);
    expect(out[0]).toBe('\rscoring: 3000 (2000/s)');
    expect(out[1]).toBe('\rscoring: 3000 (2000/s)\n');
  });
});
