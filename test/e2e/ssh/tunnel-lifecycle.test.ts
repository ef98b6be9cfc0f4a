import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { GrittyEnv } from '../../helpers/daemon.js';
import { isAlive } from '../../helpers/processes.js';
import { RemoteWorlds, startClient, waitClientExit } from '../../helpers/remote-world.js';
import { tunnelSshes, worldProcesses } from '../../helpers/sshd.js';
import { INNER_PROMPT } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';

let worlds: RemoteWorlds | undefined;
afterEach(() => {
  worlds?.cleanup();
  worlds = undefined;
});

interface Tunnel {
  name: string;
  destination: string;
  pid: number;
  status: string;
  since: string;
}

function tunnels(world: GrittyEnv): Tunnel[] {
  const r = world.run(['tunnels', '--json']);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Tunnel[];
}

function sessions(world: GrittyEnv, host: string): { name: string; attached: boolean }[] {
  const r = world.run(['ls', '--json', host]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { name: string; attached: boolean }[];
}

test('new devbox:work starts the tunnel and a remote session; ls, tunnels, detach, attach, kill-session and disconnect work over it', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop);
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  // the shell runs on the remote side: it sees the remote's runtime dir, not the laptop's
  term.line('echo "rt=$XDG_RUNTIME_DIR"');
  await term.waitFor(`rt=${worlds.sshd.remoteEnv.XDG_RUNTIME_DIR}`);

  expect(sessions(laptop, 'devbox')).toEqual([expect.objectContaining({ name: 'work', attached: true })]);
  expect(laptop.run(['ls']).stdout).toContain('devbox:work');
  const [tunnel, ...more] = tunnels(laptop);
  expect(more).toEqual([]);
  expect(tunnel).toMatchObject({ name: 'devbox', destination: 'devbox', status: 'healthy' });
  expect(isAlive(tunnel!.pid)).toBe(true);
  expect(Number.isNaN(Date.parse(tunnel!.since))).toBe(false);
  expect(tunnelSshes(laptop)).toHaveLength(1);

  term.line('echo before-$((6*7))');
  await term.waitFor('before-42');
  term.press('Enter');
  term.type('~.');
  const detached = await waitClientExit(term, 10_000);
  expect(detached.status).toBe(0);
  expect(detached.screen).toContain('[detached from devbox:work]');
  await waitFor(() => sessions(laptop, 'devbox').find((s) => s.name === 'work' && !s.attached), { what: 'ls to show work detached' });

  term.line('clear');
  startClient(term, ['attach', 'devbox:work']);
  await term.waitFor('before-42', { what: 'the reattached screen to show the earlier output' });
  term.line('echo after-$((6*7))');
  await term.waitFor('after-42');

  const killed = laptop.run(['kill-session', 'devbox:work']);
  expect(killed.stderr).toBe('');
  expect(killed.status).toBe(0);
  const ended = await waitClientExit(term, 10_000);
  expect(ended.screen).toMatch(/session work (was killed|exited)/);
  expect(sessions(laptop, 'devbox')).toEqual([]);

  const dc = laptop.run(['disconnect', 'devbox']);
  expect(dc.stderr).toBe('');
  expect(dc.status).toBe(0);
  expect(tunnels(laptop)).toEqual([]);
  await waitFor(() => !isAlive(tunnel!.pid) && tunnelSshes(laptop).length === 0, { what: 'the supervisor and its ssh to end' });
  expect(existsSync(join(laptop.socketDir, 'connect-devbox.sock'))).toBe(false);
});

test('new to a host whose key is refused fails within seconds, saying to run ssh there once, and leaves nothing running', async () => {
  worlds = RemoteWorlds.start({ unauthorizedHosts: ['badhost'] });
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { cols: 200 });
  const started = Date.now();
  startClient(term, ['new', 'badhost:x']);
  const { status, screen } = await waitClientExit(term, 15_000);
  const elapsed = Date.now() - started;
  console.log(`auth failure reported after ${elapsed} ms`);
  expect(elapsed).toBeLessThan(10_000);
  expect(status).not.toBe(0);
  expect(screen).toMatch(/Permission denied/);
  expect(screen).toMatch(/run ssh badhost once/);
  expect(tunnels(laptop)).toEqual([]);
  expect(worldProcesses(laptop).filter((p) => p.exe === 'node' || p.exe === 'ssh')).toEqual([]);
});

test('when the remote daemon is killed, the attached client says the session is gone and exits non-zero within seconds', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { cols: 200 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  const daemons = worlds.sshd.remoteDaemons();
  expect(daemons).toHaveLength(1);

  const killedAt = Date.now();
  process.kill(daemons[0]!.pid, 'SIGKILL');
  const { status, screen } = await waitClientExit(term, 20_000);
  const elapsed = Date.now() - killedAt;
  console.log(`client gave up ${elapsed} ms after the remote daemon was killed`);
  expect(elapsed).toBeLessThan(10_000);
  expect(status).not.toBe(0);
  expect(screen).toMatch(/gritty server on devbox is gone, and session work with it/);
});

test('kill-server devbox ends the attached client with a message that the session is gone', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { cols: 200 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });

  const killedAt = Date.now();
  const r = laptop.run(['kill-server', 'devbox']);
  expect(r.status).toBe(0);
  const { status, screen } = await waitClientExit(term, 10_000);
  console.log(`client ended ${Date.now() - killedAt} ms after kill-server devbox`);
  expect(status).not.toBe(0);
  expect(screen).toMatch(/gritty server on devbox (shut down|is gone)/);
  expect(screen).toContain('work');
  await waitFor(() => worlds!.sshd.remoteDaemons().length === 0, { what: 'the remote daemon to exit' });
});

test('ls over every host reports a tunnel whose supervisor is gone on stderr, at once, and still lists the other hosts', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const far = laptop.run(['new', '-d', 'devbox:far'], { timeoutMs: 60_000 });
  expect(far.status, far.stderr).toBe(0);
  expect(laptop.run(['new', '-d', 'local:near']).status).toBe(0);
  const [tunnel] = tunnels(laptop);
  process.kill(tunnel!.pid, 'SIGKILL');
  for (const ssh of tunnelSshes(laptop)) process.kill(ssh.pid, 'SIGKILL');
  await waitFor(() => !isAlive(tunnel!.pid), { what: 'the supervisor to be gone' });

  const since = Date.now();
  const listed = laptop.run(['ls']);
  expect(Date.now() - since).toBeLessThan(5_000);
  expect(listed.status).toBe(1);
  expect(listed.stdout).toContain('local:near');
  expect(listed.stdout).not.toContain('devbox:far');
  expect(listed.stderr).toMatch(/^gritty: devbox: /m);
  const after = laptop.run(['tunnels', '--json']).stdout;
  expect(after, after).toContain('"stale"');
});
