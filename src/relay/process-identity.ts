import { existsSync, readFileSync } from 'node:fs';

/**
 * Which process a pid names. A pid alone is reused once its process has gone; the pid
 * with the process's start time (clock ticks since boot, /proc/<pid>/stat field 22)
 * names one process for as long as the system runs.
 */
export const HAS_PROC = existsSync('/proc/self/stat');

/** The start time of `pid`, or undefined when it is gone or the system has no /proc. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields after it start after the last ')', at field 3
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists and has not exited (a zombie waiting to be reaped counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): the signal probe is all there is
  }
}

/**
 * Whether `pid` is still the process that started at `startTime`. Without /proc
 * (macOS) only liveness can be checked, and a reused pid is not detected.
 */
export function isSameProcess(pid: number, startTime: number | undefined): boolean {
  if (!HAS_PROC) return processAlive(pid);
  return startTime !== undefined && processAlive(pid) && processStartTime(pid) === startTime;
}
