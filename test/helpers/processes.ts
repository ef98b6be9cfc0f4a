import { readFileSync } from 'node:fs';
/** The /proc helpers shared with the benchmarks: see bench/processes.ts. */
export * from '../../bench/processes.js';

/** The one-letter state /proc gives `pid` (R, S, D, T for stopped, Z, …), or undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
