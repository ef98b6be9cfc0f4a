import { cpuMsOf } from './cpu.js';
import { listProcesses, type ProcessInfo } from './processes.js';

/**
 * CPU time by role over a stretch of work whose processes come and go (a CLI that
 * runs once per transfer, an ssh that scp starts): cpuDuring (cpu.ts) reads each pid
 * before and after, and a process that exited by then counts as 0. This samples every
 * role's processes while the work runs and keeps each pid's last reading, so a short
 * process counts up to its last sample: at most SAMPLE_MS of its CPU is missed.
 */

/** Often enough that a process living a few seconds loses little; rarely enough that walking /proc costs little. */
const SAMPLE_MS = 100;

/** Picks a role's processes out of one listing of /proc. */
export type RolePicker = (all: ProcessInfo[]) => number[];

interface Seen {
  role: string;
  from: number;
  last: number;
}

/** Runs `work`, returning its value and the CPU ms each role used meanwhile (processes already running count from the start). */
export async function cpuSampled<T>(roles: Map<string, RolePicker>, work: () => Promise<T>): Promise<{ value: T; cpuMs: Map<string, number> }> {
  const seen = new Map<number, Seen>();
  const sample = (first: boolean): void => {
    const all = listProcesses();
    for (const [role, pick] of roles) {
      for (const pid of pick(all)) {
        const ms = cpuMsOf(pid);
        const entry = seen.get(pid);
        if (entry === undefined) seen.set(pid, { role, from: first ? ms : 0, last: ms });
        else if (ms > 0) entry.last = ms;
      }
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), SAMPLE_MS);
  try {
    const value = await work();
    sample(false);
    const cpuMs = new Map([...roles.keys()].map((role) => [role, 0]));
    for (const { role, from, last } of seen.values()) cpuMs.set(role, cpuMs.get(role)! + (last - from));
    return { value, cpuMs };
  } finally {
    clearInterval(timer);
  }
}
