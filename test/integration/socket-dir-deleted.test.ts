import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { socketAlive } from '../../src/relay/secure-socket.js';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { isAlive, processesWithEnv } from '../helpers/processes.js';
import { RawClient } from '../helpers/protocol.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The socket dir deleted under a running daemon (systemd-logind removes
 * /run/user/$UID when the user's last login ends): the daemon binds ctl.sock again
 * and its sessions carry on, or, when it cannot, ends them and exits. It never lingers
 * where no client can reach it.
 */
let world: GrittyEnv | undefined;
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  world?.cleanup();
  world = undefined;
});

function daemonPids(w: GrittyEnv): number[] {
  return processesWithEnv('XDG_RUNTIME_DIR', w.env.XDG_RUNTIME_DIR!)
    .filter((p) => p.argv.includes('server') && (p.argv.includes('--foreground') || p.argv.includes('-f')))
    .map((p) => p.pid);
}

function sessionNames(w: GrittyEnv): string[] | undefined {
  const r = w.run(['ls', '--json', 'local']);
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as { name: string }[]).map((s) => s.name).sort();
}

async function startWithSession(): Promise<{ w: GrittyEnv; daemon: number; shell: number }> {
  const w = makeGrittyEnv();
  world = w;
  const created = w.run(['new', '-d', '-c', 'cat', 'local:keep']);
  expect(created.status, created.stderr).toBe(0);
  const { client, ack } = await RawClient.open(w.ctlSocket);
  client.close();
  const shell = JSON.parse(w.run(['ls', '--json', 'local']).stdout)[0].pid as number;
  return { w, daemon: ack.pid, shell };
}

test('rm -rf of the socket dir: the daemon binds ctl.sock again, ls shows the session, and new uses the same daemon', async () => {
  const { w, daemon, shell } = await startWithSession();
  rmSync(w.socketDir, { recursive: true, force: true });

  await waitFor(() => sessionNames(w)?.includes('keep'), { what: 'ls to list the session again', describe: () => JSON.stringify(w.run(['ls', 'local'])) });
  const { client, ack } = await RawClient.open(w.ctlSocket);
  client.close();
  expect(ack.pid).toBe(daemon);
  expect(isAlive(shell)).toBe(true);

  const second = w.run(['new', '-d', '-c', 'cat', 'local:two']);
  expect(second.status, second.stderr).toBe(0);
  expect(sessionNames(w)).toEqual(['keep', 'two']);
  expect(daemonPids(w)).toEqual([daemon]);
  const log = readFileSync(join(w.root, 'state', 'gritty', 'daemon.log'), 'utf8');
  expect(log).toMatch(/ctl\.sock was deleted; binding it again/);
});

test('a socket dir that cannot be made again: the daemon ends its sessions and exits, saying why', async () => {
  const { w, daemon, shell } = await startWithSession();
  rmSync(w.socketDir, { recursive: true, force: true });
  // a file where the dir was: the dir cannot be made again
  writeFileSync(w.socketDir, 'in the way');

  await waitFor(() => !isAlive(daemon), { what: `the daemon (pid ${daemon}) to exit` });
  expect(isAlive(shell)).toBe(false);
  const log = readFileSync(join(w.root, 'state', 'gritty', 'daemon.log'), 'utf8');
  expect(log).toMatch(/cannot bind .*ctl\.sock again: .*no client can reach this server any more, so it ends its sessions and exits/);
  rmSync(w.socketDir, { force: true });
});

test('another socket bound in the remade dir first is left alone; the old daemon ends its sessions and exits instead of lingering', async () => {
  const { w, daemon, shell } = await startWithSession();
  rmSync(w.socketDir, { recursive: true, force: true });
  // what another daemon started in the gap would do: make the dir again and bind ctl.sock
  mkdirSync(w.socketDir, { recursive: true, mode: 0o700 });
  // a prober that hangs up at once resets the connection: not this test's error
  const other = createServer((socket) => socket.on('error', () => undefined).end('other'));
  servers.push(other);
  await new Promise<void>((resolve) => other.listen(w.ctlSocket, resolve));

  await waitFor(() => !isAlive(daemon), { what: `the old daemon (pid ${daemon}) to exit` });
  expect(isAlive(shell)).toBe(false);
  expect(readFileSync(join(w.root, 'state', 'gritty', 'daemon.log'), 'utf8')).toMatch(/ctl\.sock was replaced by another file/);
  // closing its listener did not remove the path, which now belongs to the other socket
  expect(await socketAlive(w.ctlSocket)).toBe(true);
});
