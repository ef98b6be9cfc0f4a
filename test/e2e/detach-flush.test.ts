import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { GRITTY_BIN } from '../helpers/daemon.js';
import { RawClient } from '../helpers/protocol.js';
import { E2eScope, INNER_PROMPT, innerShell } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';
import { connect, freePort, tcpServer } from '../forward/port/streams.js';

/**
 * A detach typed while channel data is queued in the client's socket still reaches the
 * daemon: the client waits for its last frames to leave before it exits. It used to exit
 * at once, the detach died in its write queue, and the daemon took the ended link for a
 * dropped one, so the session's channels (a forward, a transfer's receiver) waited for a
 * reconnect that never came.
 */
const scope = new E2eScope();
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
  scope.cleanup();
});

/** Bytes waiting in the kernel to be read on the daemon's side of connections to `path`: a stopped daemon's full receive queue. */
function recvQueued(path: string): number {
  const out = spawnSync('ss', ['-xnH', 'state', 'established'], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.includes(path))
    .reduce((sum, fields) => sum + Number(fields[1] ?? 0), 0);
}

test('~. typed while the daemon is not reading still detaches once it reads: the session ends its forwarded connections', async () => {
  const term = await scope.terminal({ cols: 100 });
  term.line(`gritty new -c ${innerShell(scope.world)} local:flush`);
  await term.waitFor(INNER_PROMPT.trim());
  const { client: hello, ack } = await RawClient.open(scope.world.ctlSocket);
  hello.close();
  const daemonPid = ack.pid;

  // the laptop's side: a server that writes as fast as it may, so channel data always waits to go
  const laptopSockets: Socket[] = [];
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  const laptop = await tcpServer((socket) => {
    laptopSockets.push(socket);
    const pour = (): void => {
      while (!socket.destroyed && socket.write(chunk));
    };
    socket.on('drain', pour);
    pour();
  });
  cleanups.push(() => void laptop.close());
  const listen = await freePort();
  const [listed] = scope.sessions();
  const lf: ChildProcess = spawn(process.execPath, [GRITTY_BIN, 'lf', `${listen}:${laptop.port}`], {
    env: { ...scope.world.env, GRITTY_SOCK: join(scope.world.socketDir, `svc-${listed!.id}.sock`) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanups.push(() => lf.kill('SIGKILL'));
  let lfErr = '';
  lf.stderr!.setEncoding('utf8').on('data', (text: string) => (lfErr += text));
  await waitFor(() => lfErr.includes('Ctrl-C stops'), { what: 'gritty lf to forward', describe: () => lfErr });

  // two forwarded connections in the session, read flat out
  const sessionSide = await Promise.all([connect(listen), connect(listen)]);
  let received = 0;
  for (const socket of sessionSide) socket.on('data', (data: Buffer) => (received += data.length));
  await waitFor(() => received > 4 << 20, { what: 'the forwarded streams to flow' });

  // the daemon stops reading: its receive queue fills, and whatever the client writes after
  // that (the detach too) waits in the client's own write queue
  process.kill(daemonPid, 'SIGSTOP');
  cleanups.push(() => {
    try {
      process.kill(daemonPid, 'SIGCONT');
    } catch {
      // gone
    }
  });
  await waitFor(() => recvQueued(scope.world.ctlSocket) > 16_000, { what: "the daemon's receive queue to fill up", describe: () => `${recvQueued(scope.world.ctlSocket)} bytes queued` });

  term.escape('.');
  // the client has taken the detach once it ends its own side of the channels
  await waitFor(() => laptopSockets.length === 2 && laptopSockets.every((socket) => socket.destroyed), { what: "the client to close the laptop's end of the forwards" });
  process.kill(daemonPid, 'SIGCONT');

  await waitFor(() => sessionSide.every((socket) => socket.readableEnded || socket.destroyed), {
    what: 'the session to end its side of the forwarded connections (the daemon got the detach)',
    timeoutMs: 20_000,
  });
  await term.waitForOuterPrompt();
  expect(term.screen()).toContain('[detached from local:flush]');
  await waitFor(() => scope.sessions().find((s) => s.name === 'flush')?.attached === false, { what: 'ls to show the session detached' });
});
