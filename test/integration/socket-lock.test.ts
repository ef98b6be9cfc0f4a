import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { processStartTime } from '../../src/relay/process-identity.js';
import { listenPrivate, socketAlive } from '../../src/relay/secure-socket.js';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { isAlive } from '../helpers/processes.js';
import { RawClient } from '../helpers/protocol.js';
import { exitOf, waitFor } from '../helpers/wait.js';

/**
 * Replacing a stale ctl.sock is done under a lock: daemons started together after a
 * crash cannot both judge it stale, with the second unlinking the first one's fresh
 * socket and leaving that daemon running where no client can reach it.
 */
let world: GrittyEnv | undefined;
const servers: Server[] = [];
const daemons: ChildProcess[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const d of daemons.splice(0)) d.kill('SIGKILL');
  world?.cleanup();
  world = undefined;
});

/** A socket file whose process was killed: what a crashed daemon leaves. */
function leaveStaleSocket(path: string): void {
  const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  expect(r.signal).toBe('SIGKILL');
  expect(lstatSync(path).isSocket()).toBe(true);
}

function privateWorld(): GrittyEnv {
  const w = makeGrittyEnv();
  mkdirSync(w.socketDir, { recursive: true, mode: 0o700 });
  return w;
}

test('of several listeners racing for a stale socket in one process, exactly one binds and it is the one reached', async () => {
  world = privateWorld();
  leaveStaleSocket(world.ctlSocket);
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, (_, i) =>
      listenPrivate(world!.ctlSocket, (socket) => {
        // the other listeners' liveness probes hang up at once
        socket.on('error', () => undefined);
        socket.end(`listener-${i}`);
      }).then((server) => {
        servers.push(server);
        return i;
      }),
    ),
  );
  const bound = results.filter((r): r is PromiseFulfilledResult<number> => r.status === 'fulfilled').map((r) => r.value);
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(bound).toHaveLength(1);
  for (const r of refused) expect(String(r.reason)).toMatch(/already listening/);
  const answer = await new Promise<string>((resolve, reject) => {
    let got = '';
    const socket = createConnection(world!.ctlSocket);
    socket.on('data', (d: Buffer) => (got += d.toString()));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
  expect(answer).toBe(`listener-${bound[0]}`);
  // the lock is released, and nothing of it is left behind
  expect(readdirSync(world.socketDir).sort()).toEqual(['ctl.sock']);
});

test('daemons started together after a crash: exactly one serves, every client reaches it, none is left unreachable', async () => {
  world = privateWorld();
  leaveStaleSocket(world.ctlSocket);
  for (let i = 0; i < 4; i++) {
    const d = spawn(process.execPath, [GRITTY_BIN, 'server', '-f'], { env: world.env, stdio: 'ignore' });
    daemons.push(d);
  }
  // the losers exit, having found the socket alive; the winner keeps serving
  await waitFor(() => daemons.filter((d) => d.exitCode === null && d.signalCode === null).length === 1 && daemons, {
    what: 'all but one daemon to exit',
  });
  const survivor = daemons.find((d) => d.exitCode === null && d.signalCode === null)!;
  for (const d of daemons) if (d !== survivor) expect(await exitOf(d)).toBe(1);
  expect(await socketAlive(world.ctlSocket)).toBe(true);
  for (let i = 0; i < 3; i++) {
    const { client, ack } = await RawClient.open(world.ctlSocket);
    client.close();
    expect(ack.pid).toBe(survivor.pid);
  }
  const created = world.run(['new', '-d', '-c', 'cat', 'local:one']);
  expect(created.status, created.stderr).toBe(0);
  expect(isAlive(survivor.pid!)).toBe(true);
});

test('a lock left by a process that is gone is broken, and the daemon starts', async () => {
  world = privateWorld();
  leaveStaleSocket(world.ctlSocket);
  const gone = spawnSync('true');
  expect(gone.status).toBe(0);
  writeFileSync(`${world.ctlSocket}.lock`, `${gone.pid} 12345\n`, { mode: 0o600 });
  const r = world.run(['server']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(await socketAlive(world.ctlSocket)).toBe(true);
  expect(existsSync(`${world.ctlSocket}.lock`)).toBe(false);
});

test('a lock held by a live process is waited for, not overtaken; once its owner dies it is broken', async () => {
  world = privateWorld();
  leaveStaleSocket(world.ctlSocket);
  const owner = spawn('sleep', ['1000'], { stdio: 'ignore' });
  daemons.push(owner);
  const ownerStart = await waitFor(() => processStartTime(owner.pid!), { what: 'the lock owner to start' });
  writeFileSync(`${world.ctlSocket}.lock`, `${owner.pid} ${ownerStart}\n`, { mode: 0o600 });

  let bound: Server | undefined;
  const listening = listenPrivate(world.ctlSocket, (socket) => socket.end()).then((server) => {
    servers.push(server);
    bound = server;
  });
  // the contender has written its own lock candidate and is polling: the owner is alive, so nothing is bound
  await waitFor(() => readdirSync(world!.socketDir).some((f) => f.startsWith('ctl.sock.lock.')), { what: 'the contender to wait for the lock' });
  expect(await socketAlive(world.ctlSocket)).toBe(false);
  expect(bound).toBeUndefined();
  expect(readFileSync(`${world.ctlSocket}.lock`, 'utf8')).toBe(`${owner.pid} ${ownerStart}\n`);

  owner.kill('SIGKILL');
  await listening;
  expect(await socketAlive(world.ctlSocket)).toBe(true);
  expect(readdirSync(world.socketDir).sort()).toEqual(['ctl.sock']);
});
