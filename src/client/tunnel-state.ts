import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAS_PROC, isSameProcess } from '../relay/process-identity.js';

/**
 * A connection's state file, connect-<name>.json beside its socket in the socket dir:
 * written by its supervisor on every change, read by `tunnels`, by clients (to nudge
 * the supervisor) and by `disconnect`.
 */
export type TunnelStatus = 'starting' | 'healthy' | 'reconnecting' | 'failed';

export interface TunnelState {
  name: string;
  destination: string;
  /** The supervisor's pid. */
  pid: number;
  /**
   * The supervisor's start time (clock ticks since boot, /proc/<pid>/stat field 22).
   * With the pid it names one process: a pid reused by another process after the
   * supervisor died does not match, and is never signalled.
   */
  startTime: number | undefined;
  sshPid: number | undefined;
  /** The ssh's start time, as for the supervisor. */
  sshStartTime: number | undefined;
  status: TunnelStatus;
  /** Epoch ms of the last status change. */
  since: number;
  remoteSocket: string;
  protocol: number;
  /** Why the last ssh ended, or why the tunnel failed. */
  message?: string;
  sshOptions: string[];
}

export function tunnelSocketPath(socketDir: string, name: string): string {
  return join(socketDir, `connect-${name}.sock`);
}

export function tunnelStatePath(socketDir: string, name: string): string {
  return join(socketDir, `connect-${name}.json`);
}

export function writeTunnelState(socketDir: string, state: TunnelState): void {
  const file = tunnelStatePath(socketDir, state.name);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** A connection's state, or undefined when there is none or it is not one (a torn or foreign file). */
export function readTunnelState(socketDir: string, name: string): TunnelState | undefined {
  let state: Partial<TunnelState>;
  try {
    state = JSON.parse(readFileSync(tunnelStatePath(socketDir, name), 'utf8')) as Partial<TunnelState>;
  } catch {
    return undefined;
  }
  if (typeof state !== 'object' || state === null || !isPid(state.pid) || typeof state.name !== 'string' || typeof state.destination !== 'string') return undefined;
  return { ...state, startTime: optionalNumber(state.startTime), sshPid: isPid(state.sshPid) ? state.sshPid : undefined, sshStartTime: optionalNumber(state.sshStartTime) } as TunnelState;
}

export function removeTunnelFiles(socketDir: string, name: string): void {
  rmSync(tunnelStatePath(socketDir, name), { force: true });
  rmSync(tunnelSocketPath(socketDir, name), { force: true });
}

export function tunnelNames(socketDir: string): string[] {
  try {
    return readdirSync(socketDir)
      .filter((f) => f.startsWith('connect-') && f.endsWith('.json'))
      .map((f) => f.slice('connect-'.length, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** Whether the state's supervisor still runs: the same process (pid and start time), and a gritty supervisor by its command line. */
export function supervisorRunning(state: TunnelState): boolean {
  if (!isSameProcess(state.pid, state.startTime)) return false;
  if (!HAS_PROC) return true;
  try {
    return isSupervisorCommand(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').split('\0'));
  } catch {
    return false;
  }
}

/** `gritty connect --supervise …` (started by connect, new or attach) or `gritty connect -f …`. */
function isSupervisorCommand(argv: string[]): boolean {
  const args = argv.slice(1);
  if (args.includes('--supervise')) return true;
  return args.some((a) => a === 'connect' || a === 'c') && args.some((a) => a === '-f' || a === '--foreground');
}

/** The status `tunnels` shows: a state whose supervisor is gone (or whose pid now names another process) is stale. */
export function effectiveStatus(state: TunnelState): TunnelStatus | 'stale' {
  return supervisorRunning(state) ? state.status : 'stale';
}

function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}
