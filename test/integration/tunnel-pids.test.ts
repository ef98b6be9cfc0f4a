import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { CliContext } from '../../src/client/context.js';
import { nudgeTunnel } from '../../src/client/endpoint.js';
import { supervisorRunning, tunnelStatePath, type TunnelState } from '../../src/client/tunnel-state.js';
import { processStartTime } from '../../src/relay/process-identity.js';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { isAlive } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A pid in a tunnel's state file is signalled only when it is still the supervisor
 * (or ssh) that wrote it: same start time, and a supervisor's command line. A reused
 * pid belongs to some other process of the user's, which SIGUSR1 or SIGTERM would kill.
 */
let world: GrittyEnv;
const children: ChildProcess[] = [];

beforeEach(() => {
  world = makeGrittyEnv();
  mkdirSync(world.socketDir, { recursive: true, mode: 0o700 });
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  world.cleanup();
});

/** A live process of the user's, unrelated to gritty. */
async function bystander(argv: string[] = ['sleep', '1000']): Promise<ChildProcess & { pid: number }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  children.push(child);
  await waitFor(() => child.pid !== undefined && processStartTime(child.pid) !== undefined, { what: 'the bystander to start' });
  return child as ChildProcess & { pid: number };
}

function plantState(name: string, fields: Partial<TunnelState>): TunnelState {
  const state = {
    name,
    destination: 'devbox',
    pid: 1,
    startTime: undefined,
    sshPid: undefined,
    sshStartTime: undefined,
    status: 'healthy',
    since: Date.now(),
    remoteSocket: '/run/user/1000/gritty/ctl.sock',
    protocol: 1,
    sshOptions: [],
    ...fields,
  } satisfies TunnelState;
  writeFileSync(tunnelStatePath(world.socketDir, name), JSON.stringify(state), { mode: 0o600 });
  return state;
}

test.each([
  ['without a start time (a state file from before start times, or a forged one)', (pid: number) => ({ startTime: undefined, pid })],
  ['with another start time (the pid was reused)', (pid: number) => ({ startTime: processStartTime(pid)! - 1, pid })],
  ['with its own start time but not a supervisor by its command line', (pid: number) => ({ startTime: processStartTime(pid)!, pid })],
])('disconnect leaves a live process named %s alone, and says the tunnel is stale', async (_what, fields) => {
  const supervisor = await bystander();
  const ssh = await bystander();
  plantState('fake', { ...fields(supervisor.pid), sshPid: ssh.pid, sshStartTime: processStartTime(ssh.pid)! + 1 });

  const tunnels = world.run(['tunnels', '--json']);
  expect(tunnels.status, tunnels.stderr).toBe(0);
  expect(JSON.parse(tunnels.stdout)).toEqual([expect.objectContaining({ name: 'fake', status: 'stale' })]);

  const r = world.run(['disconnect', 'fake']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('disconnected fake: the tunnel was stale (its supervisor had exited); removed what it left\n');
  expect(isAlive(supervisor.pid)).toBe(true);
  expect(isAlive(ssh.pid)).toBe(true);
  expect(world.run(['tunnels', '--json']).stdout.trim()).toBe('[]');
});

test('the reconnect nudge does not send SIGUSR1 to a process that merely reuses the pid', async () => {
  // a bystander that reports each signal instead of dying of it
  const script = "process.on('SIGUSR1', () => console.log('usr1')); process.on('SIGUSR2', () => console.log('usr2')); console.log('ready'); setInterval(() => {}, 1e6)";
  const victim = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(victim);
  let heard = '';
  victim.stdout!.on('data', (d: Buffer) => (heard += d.toString()));
  await waitFor(() => heard.includes('ready'), { what: 'the bystander to start' });
  plantState('nudged', { pid: victim.pid!, startTime: processStartTime(victim.pid!)! - 1 });

  nudgeTunnel({ paths: { socketDir: world.socketDir } } as CliContext, 'nudged');
  // a signal of ours sent after the nudge: once it is heard, a SIGUSR1 from the nudge would have been heard first
  victim.kill('SIGUSR2');
  await waitFor(() => heard.includes('usr2'), { what: 'the bystander to hear SIGUSR2' });
  expect(heard).not.toContain('usr1');
  expect(isAlive(victim.pid!)).toBe(true);
});

test('a supervisor is recognised by its pid, start time and command line', async () => {
  const supervisor = await bystander([process.execPath, '-e', 'setInterval(() => {}, 1e6)', 'connect', '--supervise', '{}', '-n', 'real', 'devbox']);
  const state = plantState('real', { pid: supervisor.pid, startTime: processStartTime(supervisor.pid)! });
  expect(supervisorRunning(state)).toBe(true);
  expect(supervisorRunning({ ...state, startTime: state.startTime! + 1 })).toBe(false);
  const r = world.run(['disconnect', 'real']);
  expect(r.stdout).toBe('disconnected real\n');
  await waitFor(() => !isAlive(supervisor.pid), { what: 'the supervisor to be stopped' });
});

test('tunnels shows a stale tunnel with ssh last words that hold escape sequences, escaped', () => {
  plantState('noisy', { pid: 1, status: 'reconnecting', destination: 'dev\x1b]0;PWNED\x07box', message: 'status 255: banner \x1b[2J\x1b[31mred\nFAKE' });
  const r = world.run(['tunnels']);
  expect(r.status, r.stderr).toBe(0);
  // eslint-disable-next-line no-control-regex
  expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  expect(r.stdout).toContain('dev\\e]0;PWNED\\x07box');
  expect(r.stdout).toContain('noisy: status 255: banner \\e[2J\\e[31mred\\nFAKE\n');
  const json = world.run(['tunnels', '--json']);
  // eslint-disable-next-line no-control-regex
  expect(json.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  expect(JSON.parse(json.stdout)[0].message).toBe('status 255: banner \x1b[2J\x1b[31mred\nFAKE');
});
