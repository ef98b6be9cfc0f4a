import { readFileSync } from 'node:fs';

/**
 * CPU time of processes (all threads, user + system) from /proc, so a benchmark can
 * say which process a figure's time went to.
 */

/** Linux reports utime and stime in clock ticks of 10 ms (USER_HZ = 100 on every mainstream build). */
const MS_PER_TICK = 10;

/** CPU time used so far by `pid`, ms; 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return 0;
  }
}

/** Processes grouped under a role name ("sshd", "gritty daemon"); one role may hold several pids. */
export type Roles = Map<string, number[]>;

/** CPU ms each role used while `work` ran. Pids must outlive `work` (a process that exits meanwhile counts as 0). */
export async function cpuDuring<T>(roles: Roles, work: () => Promise<T>): Promise<{ value: T; cpuMs: Map<string, number> }> {
  const total = (pids: number[]): number => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  const before = new Map([...roles].map(([role, pids]) => [role, total(pids)]));
  const value = await work();
  return { value, cpuMs: new Map([...roles].map(([role, pids]) => [role, total(pids) - before.get(role)!])) };
}
