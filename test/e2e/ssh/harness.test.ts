import { spawn } from 'node:child_process';
import { afterEach, expect, test } from 'vitest';
import { isAlive } from '../../helpers/processes.js';
import { SLOW_CONNECT_S, Sshd } from '../../helpers/sshd.js';
import { exitOf, waitFor } from '../../helpers/wait.js';

let sshd: Sshd | undefined;
afterEach(() => {
  sshd?.cleanup();
  sshd = undefined;
});

test('ssh devbox runs a command through the private sshd, with the remote side in its own XDG dirs', () => {
  sshd = Sshd.start();
  const r = sshd.ssh(['devbox', 'echo ok; echo "run=$XDG_RUNTIME_DIR"']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('ok\n');
  expect(r.stdout).toContain(`run=${sshd.remoteEnv.XDG_RUNTIME_DIR}\n`);
  expect(sshd.logTail()).toMatch(/Accepted publickey for root/);
});

test('a host whose key is not authorized fails with a permission error and status 255', () => {
  sshd = Sshd.start({ unauthorizedHosts: ['badhost'] });
  const r = sshd.ssh(['badhost', 'echo ok']);
  expect(r.status).toBe(255);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/Permission denied/);
});

test('the sshd serving a connection is found from its ssh client, and killing it ends the connection', async () => {
  sshd = Sshd.start();
  const client = spawn(sshd.sshWrapper, ['devbox', 'echo up; sleep 60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = exitOf(client);
  let out = '';
  client.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('up'), { what: 'the remote command to start' });
  const serving = sshd.sshdServing(client.pid!);
  expect(serving.length).toBeGreaterThan(0);
  expect(sshd.remoteProcesses()).toEqual(expect.arrayContaining(serving.map((p) => p.pid)));
  process.kill(serving[0]!.pid, 'SIGKILL');
  expect(await exited).toBe(255);
  await waitFor(() => serving.every((p) => !isAlive(p.pid)), { what: 'the serving sshds to be gone' });
});

test('a slow host takes SLOW_CONNECT_S longer to connect', () => {
  sshd = Sshd.start({ slowHosts: ['farbox'] });
  const started = Date.now();
  const r = sshd.ssh(['farbox', 'echo ok']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('ok\n');
  expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_CONNECT_S * 1000);
});
