import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * What /proc says about processes: enough for the over-ssh benchmarks to find the
 * tunnel's sshd (by ancestry) and a laptop's processes (by an inherited environment
 * variable), and to freeze or kill exactly those. A copy of the small part of
 * test/helpers/processes.ts the bench needs (bench/ cannot import test/).
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Basename of the executable: node, ssh, sshd, … */
  exe: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields after it start after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), exe: basename(readlinkSync(`/proc/${pid}/exe`)) };
  } catch {
    return undefined; // gone meanwhile, or a kernel thread
  }
}

export function listProcesses(): ProcessInfo[] {
  const all: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info !== undefined) all.push(info);
  }
  return all;
}

function environHas(pid: number, name: string, value: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${name}=${value}`);
  } catch {
    return false;
  }
}

/** Processes (other than this one) whose environment has `name` set to exactly `value`. */
export function processesWithEnv(name: string, value: string): ProcessInfo[] {
  return listProcesses().filter((p) => p.pid !== process.pid && environHas(p.pid, name, value));
}

/** Every process below `pid`, not `pid` itself. */
export function descendantsOf(pid: number): ProcessInfo[] {
  const all = listProcesses();
  const found: ProcessInfo[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = all.filter((p) => frontier.includes(p.ppid));
    found.push(...children);
    frontier = children.map((p) => p.pid);
  }
  return found;
}

/** Sends `signal` to each pid, ignoring those already gone. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
