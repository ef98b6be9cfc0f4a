import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time of processes (all threads, user + system) from /proc, so a benchmark can
 * say which process a figure's time went to.
 */

/** Linux reports utime and stime in clock ticks of 10 ms (USER_HZ = 100 on every mainstream build). */
const MS_PER_TICK = 10;

/** utime + stime of a /proc stat line, ms, and cutime + cstime (children it has waited for); 0 once it is gone. */
function statMs(path: string): { own: number; waitedChildren: number } {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      own: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK,
      waitedChildren: (Number(fields[13]) + Number(fields[14])) * MS_PER_TICK,
    };
  } catch {
    return { own: 0, waitedChildren: 0 };
  }
}

/** CPU time used so far by `pid`, ms; 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  return statMs(`/proc/${pid}/stat`).own;
}

/** CPU time of the children this process has waited for so far (every finished spawnSync), ms. */
export function waitedChildrenCpuMs(): number {
  return statMs('/proc/self/stat').waitedChildren;
}

/** CPU time used so far by each live thread of `pid`, ms, by thread id. */
export function threadCpuMs(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) threads.set(Number(tid), statMs(`/proc/${pid}/task/${tid}/stat`).own);
  } catch {
    // gone
  }
  return threads;
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

/**
 * One role on a measured path. `busiestThread` breaks a Node process into its main
 * thread, its busiest other thread (Node gives threads no names, so it is found by what
 * it did: in gritty's daemon a V8 garbage-collector or libuv helper), and the rest.
 * `children` adds the time of children the process has reaped: a shell's `cat`s.
 */
export interface Account {
  role: string;
  pids: number[];
  busiestThread?: string;
  children?: boolean;
}

interface Snapshot {
  total: number;
  threads: Map<number, number>;
}

function snapshot(account: Account): Snapshot {
  const total = account.pids.reduce((sum, pid) => {
    const ms = statMs(`/proc/${pid}/stat`);
    return sum + ms.own + (account.children ? ms.waitedChildren : 0);
  }, 0);
  return { total, threads: account.busiestThread !== undefined ? threadCpuMs(account.pids[0]!) : new Map() };
}

/** CPU ms per role, summed over every measured stretch of one path. */
export class CpuTally {
  private readonly totals = new Map<string, number>();
  private readonly threads = new Map<string, Map<number, number>>();
  private readonly mains = new Map<string, number>();
  private readonly busiest = new Map<string, string>();

  async during<T>(accounts: Account[], work: () => Promise<T>): Promise<T> {
    const before = accounts.map(snapshot);
    const value = await work();
    accounts.forEach((account, i) => {
      const after = snapshot(account);
      this.totals.set(account.role, (this.totals.get(account.role) ?? 0) + after.total - before[i]!.total);
      if (account.busiestThread === undefined) return;
      this.mains.set(account.role, account.pids[0]!);
      this.busiest.set(account.role, account.busiestThread);
      const tally = this.threads.get(account.role) ?? new Map<number, number>();
      for (const [tid, ms] of after.threads) tally.set(tid, (tally.get(tid) ?? 0) + ms - (before[i]!.threads.get(tid) ?? ms));
      this.threads.set(account.role, tally);
    });
    return value;
  }

  /** CPU ms per MiB of `bytes`, role by role (split ones as main thread, busiest other thread, the rest), in the order first measured. */
  perMiB(bytes: number): CpuShare[] {
    const mib = bytes / (1024 * 1024);
    const shares: CpuShare[] = [];
    for (const [role, total] of this.totals) {
      const tally = this.threads.get(role);
      if (tally === undefined) {
        shares.push({ role, msPerMiB: total / mib });
        continue;
      }
      const main = tally.get(this.mains.get(role)!) ?? 0;
      const others = [...tally].filter(([tid]) => tid !== this.mains.get(role)).sort((a, b) => b[1] - a[1]);
      const busiest = others[0]?.[1] ?? 0;
      shares.push({ role: `${role}: main thread`, msPerMiB: main / mib });
      shares.push({ role: `${role}: ${this.busiest.get(role)!}`, msPerMiB: busiest / mib });
      shares.push({ role: `${role}: other threads`, msPerMiB: Math.max(0, total - main - busiest) / mib });
    }
    return shares;
  }
}

export interface CpuShare {
  role: string;
  msPerMiB: number;
}
