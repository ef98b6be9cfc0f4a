import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { listProcesses } from './processes.js';

/**
 * Throwaway Unix users for tests of the boundary between users. Creating one needs
 * root (the tests run as root); each is deleted, with every process it still runs,
 * in afterAll.
 */
export interface TempUser {
  name: string;
  uid: number;
  gid: number;
}

export const CAN_CREATE_USERS = process.getuid?.() === 0 && spawnSync('useradd', ['--help']).status === 0 && spawnSync('setpriv', ['--help']).status === 0;

/** A new user with its own group, no home and no password: it exists only for this test. */
export function createTempUser(prefix: string): TempUser {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--no-create-home', '--user-group', '--shell', '/bin/bash', name], { stdio: 'pipe' });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { name, uid, gid };
}

/** Kills what the user still runs (processes these tests started as it), then deletes it and its group. */
export function deleteTempUser(user: TempUser): void {
  for (const pid of pidsOfUid(user.uid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync('userdel', ['--force', user.name], { stdio: 'pipe' });
}

/** Processes whose real uid is `uid`. */
export function pidsOfUid(uid: number): number[] {
  return listProcesses()
    .filter((p) => {
      try {
        return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]) === uid;
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

/** Runs `argv` as `user` (its uid, its gid, no supplementary groups) with exactly `env`. */
export function runAs(
  user: TempUser,
  argv: string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs?: number },
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--', ...argv], {
    env: options.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
