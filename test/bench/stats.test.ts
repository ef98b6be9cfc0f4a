import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spread, spreadCell } from '../../bench/stats.js';
import { grittyAt, growthSpans, memoryCounts, perSessionKiB } from '../../bench/memory.js';
import { growthCell } from '../../bench/report-perf.js';
import { MARKER_SCRIPT, marker } from '../../bench/throughput.js';

describe('spread', () => {
  it('gives median, extremes and the coefficient of variation', () => {
    const s = spread([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.median).toBe(4.5);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    // population standard deviation 2 over mean 5
    expect(s.cv).toBeCloseTo(0.4, 10);
    expect(spreadCell(s, 1, 1)).toBe('2.0–9.0 (CV 40%)');
  });

  it('is not a number for no samples, and says n/a', () => {
    expect(spread([]).median).toBeNaN();
    expect(spreadCell(spread([]), 1, 1)).toBe('n/a');
  });
});

describe('throughput markers', () => {
  it('differ from the previous run in every character, so a cell-diffing peer (mosh) redraws all of it', () => {
    for (let n = 2; n <= 120; n++) {
      const [before, now] = [marker(n - 1), marker(n)];
      for (let i = 0; i < Math.min(before.length, now.length); i++) expect(now[i], `runs ${n - 1} and ${n}, position ${i}`).not.toBe(before[i]);
    }
  });

  it('are what the session prints', () => {
    for (const n of [1, 2, 9, 10, 11, 100]) {
      const printed = execFileSync('sh', ['-c', `n=${n}; ${MARKER_SCRIPT}`], { encoding: 'utf8' });
      expect(printed).toBe(`\n${marker(n)}\n`);
    }
  });
});

describe('perSessionKiB', () => {
  const reading = (trial: number, sessions: number, grittyKiB: number) => ({ trial, sessions, grittyKiB, tmuxKiB: 0 });

  it('gives each trial its own growth per session, from its own readings', () => {
    const readings = [reading(1, 1, 1000), reading(1, 50, 5900), reading(1, 100, 10900), reading(2, 1, 2000), reading(2, 50, 4450), reading(2, 100, 6950)];
    expect(perSessionKiB(readings, 1, 100)).toEqual([100, 50]);
    expect(perSessionKiB(readings, 50, 100)).toEqual([100, 50]);
  });

  it('leaves out a trial that was not weighed at both counts', () => {
    expect(perSessionKiB([reading(1, 1, 1000), reading(1, 100, 1990), reading(2, 1, 1000)], 1, 100)).toEqual([10]);
  });

  it('reads growth from the first count and from the one before the last, both to the last', () => {
    const at = (...counts: number[]) => counts.map((n) => reading(1, n, n));
    expect(growthSpans(at(1, 50, 100))).toEqual([
      { from: 1, to: 100 },
      { from: 50, to: 100 },
    ]);
    expect(growthSpans(at(1, 100))).toEqual([{ from: 1, to: 100 }]);
    expect(growthSpans(at(1))).toEqual([]);
  });

  it('weighs at one, half way and many, once each', () => {
    expect(memoryCounts(100)).toEqual([1, 50, 100]);
    expect(memoryCounts(2)).toEqual([1, 2]);
    expect(memoryCounts(1)).toEqual([1]);
  });

  it('writes the median growth with each trial\'s, or n/a when no trial was weighed at both counts', () => {
    const readings = [reading(1, 1, 1000), reading(1, 100, 10900), reading(2, 1, 2000), reading(2, 100, 6950), reading(3, 1, 1000), reading(3, 100, 8920)];
    expect(growthCell(readings, 1, 100)).toBe('80 KiB (1 → 100 sessions; 3 trials: 100, 50, 80)');
    expect(growthCell(readings, 50, 100)).toBe('n/a');
  });

  it('gives gritty\'s median and extremes at a count over the trials', () => {
    expect(grittyAt([reading(1, 1, 10), reading(2, 1, 30), reading(3, 1, 20), reading(1, 100, 99)], 1)).toEqual({ median: 20, min: 10, max: 30 });
    expect(grittyAt([], 1)).toBeUndefined();
  });
});
