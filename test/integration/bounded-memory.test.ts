import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, expect, test } from 'vitest';
import { INPUT_WINDOW_BYTES } from '../../src/relay/messages.js';
import { GRITTY_BIN } from '../helpers/daemon.js';
import { rssKiB } from '../helpers/processes.js';
import { RawClient, attachRaw, createSession, frameOf, listSessions, waitFor } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/**
 * No queue grows without bound: input for a PTY whose program never reads, and a
 * `gritty tail` writing into a pipe nobody reads. Before the link had windows, 300 MiB
 * of input to such a session grew the daemon from 96 to 430 MB.
 */
const FLOOD_INPUT_BYTES = 64 << 20;
/** What either process may grow by while tens of megabytes are thrown at it. */
const RSS_SLACK_KIB = 48 * 1024;

const server = sharedServer();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function daemonPid(): Promise<number> {
  const { client, ack } = await RawClient.open(server.world.ctlSocket);
  client.close();
  return ack.pid;
}

test('a peer flooding input to a program that never reads is cut off at the window, and the daemon does not grow', { timeout: 60_000 }, async () => {
  await createSession(server.world.ctlSocket, { name: 'deaf', command: 'sleep 1000' });
  const pid = await daemonPid();
  const before = rssKiB(pid);
  const { client } = await attachRaw(server.world.ctlSocket, 'deaf');
  server.track(client);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  let peak = before;
  // ignore every acknowledgement and window: write as fast as the socket takes it
  while (sent < FLOOD_INPUT_BYTES && !client.isClosed) {
    const ok = client.socket.write(frameOf({ type: 'input', offset: sent, data: chunk }));
    sent += chunk.length;
    if (!ok) await new Promise((resolve) => client.socket.once('drain', resolve).once('close', resolve));
    peak = Math.max(peak, rssKiB(pid));
  }
  const answer = await client.until('error');
  expect(answer.msg.code).toBe('bad-message');
  expect(answer.msg.message).toMatch(/window/);
  peak = Math.max(peak, rssKiB(pid));
  expect(peak - before, `daemon RSS went from ${before} kB to ${peak} kB`).toBeLessThan(RSS_SLACK_KIB);
  // the daemon is fine, and the session took at most a window of it
  const session = (await listSessions(server.world.ctlSocket)).find((s) => s.name === 'deaf');
  expect(session).toBeDefined();
  expect(sent).toBeGreaterThan(INPUT_WINDOW_BYTES);
});

test('a well-behaved client stops at the window while the program does not read, and goes on when it reads', { timeout: 60_000 }, async () => {
  // raw: the line discipline passes every byte; the program reads nothing for a while
  await createSession(server.world.ctlSocket, { name: 'later', command: 'stty raw -echo; echo ready; sleep 1; head -c 1000000 > /dev/null; echo read-$((6*7)); sleep 1000' });
  const { client, attached } = await attachRaw(server.world.ctlSocket, 'later', { repaint: true });
  server.track(client);
  await waitFor(() => client.pending.some((m) => m.type === 'snapshot' && m.data.includes('ready')) || client.pending.some((m) => m.type === 'output' && m.data.includes('ready')), { what: 'the program to be ready' });
  let offset = attached.input ?? 0;
  let acked = offset;
  const send = (data: Buffer): void => {
    client.send({ type: 'input', offset, data });
    offset += data.length;
  };
  let left = 1_000_000;
  let output = '';
  while (!output.includes('read-42')) {
    while (left > 0 && offset - acked < INPUT_WINDOW_BYTES) {
      const n = Math.min(left, 32 * 1024, INPUT_WINDOW_BYTES - (offset - acked));
      send(Buffer.alloc(n, 0x62));
      left -= n;
    }
    const msg = await client.next(20_000);
    if (msg === undefined) throw new Error('closed');
    if (msg.type === 'ack' && msg.input !== undefined) acked = msg.input;
    if (msg.type === 'output') {
      if (msg.ack !== undefined) acked = msg.ack;
      output += msg.data.toString('latin1');
    }
  }
  expect(left).toBe(0);
  expect(client.isClosed).toBe(false);
});

test('gritty tail writing into a pipe nobody reads stops reading the daemon: neither grows during a flood', { timeout: 60_000 }, async () => {
  await createSession(server.world.ctlSocket, { name: 'flood', command: 'while :; do head -c 1000000 /dev/zero | tr "\\0" x; done' });
  const daemon = await daemonPid();
  const daemonBefore = rssKiB(daemon);
  // stdout is a pipe this test never reads
  const tail = spawn(GRITTY_BIN, ['tail', 'local:flood'], { env: server.world.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(tail);
  const floodStart = (await listSessions(server.world.ctlSocket)).find((s) => s.name === 'flood')!.offset;
  await waitFor(async () => rssKiB(tail.pid!) > 0 && ((await listSessions(server.world.ctlSocket)).find((s) => s.name === 'flood')!.offset > floodStart + (8 << 20)), {
    what: 'the tail to have been offered 8 MB',
    timeoutMs: 30_000,
  });
  const tailBefore = rssKiB(tail.pid!);
  await waitFor(async () => (await listSessions(server.world.ctlSocket)).find((s) => s.name === 'flood')!.offset > floodStart + (64 << 20), {
    what: 'the session to write 64 MB more while the tail is stuck',
    timeoutMs: 40_000,
  });
  expect(rssKiB(tail.pid!) - tailBefore, 'tail RSS growth').toBeLessThan(RSS_SLACK_KIB);
  expect(rssKiB(daemon) - daemonBefore, 'daemon RSS growth').toBeLessThan(RSS_SLACK_KIB);
  expect(tail.exitCode).toBeNull();
});
