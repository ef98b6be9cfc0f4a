import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spread, spreadCell } from '../../bench/stats.js';
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
