import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  sshPid: number | undefined;
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

export function readTunnelState(socketDir: string, name: string): TunnelState | undefined {
  try {
    return JSON.parse(readFileSync(tunnelStatePath(socketDir, name), 'utf8')) as TunnelState;
  } catch {
    return undefined;
  }
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

/** The status `tunnels` shows: a state whose supervisor is gone is stale. */
export function effectiveStatus(state: TunnelState): TunnelStatus | 'stale' {
  return processAlive(state.pid) ? state.status : 'stale';
}
