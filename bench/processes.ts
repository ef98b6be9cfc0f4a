import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * What /proc says about one process: enough for the tests and the benchmarks to find
 * the processes of a private gritty world (by an environment variable they inherited)
 * and of one connection (by ancestry), and to freeze or kill exactly those. It lives
 * in bench/ because bench/ is compiled on its own; test/helpers/processes.ts re-exports it.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Basename of the executable: node, ssh, sshd, bash, … */
  exe: string;
  argv: string[];
  /** One of R, S, D, T (stopped), Z, … */
  state: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields after it start after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    return { pid, ppid: Number(rest[1]), state: rest[0]!, exe: basename(readlinkSync(`/proc/${pid}/exe`)), argv };
  } catch {
    return undefined; // gone meanwhile, a kernel thread, or not ours to read
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

/** The environment a process started with, or undefined when it is gone. */
export function environOf(pid: number): Map<string, string> | undefined {
  try {
    const env = new Map<string, string>();
    for (const pair of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = pair.indexOf('=');
      if (eq > 0) env.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return env;
  } catch {
    return undefined;
  }
}

/** Processes (other than this one) whose environment has `name` set to exactly `value`. */
export function processesWithEnv(name: string, value: string): ProcessInfo[] {
  return listProcesses().filter((p) => p.pid !== process.pid && environOf(p.pid)?.get(name) === value);
}

/** Every process below `pid` (children, their children, …), not `pid` itself. */
export function descendantsOf(pid: number, all: ProcessInfo[] = listProcesses()): ProcessInfo[] {
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

export function isAlive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== 'Z';
}

/** Resident set of a process in KiB (VmRSS counts every thread, node-pty's one per shell included). */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}
