import { expect, test } from 'vitest';
import type { Message, MessageOf } from '../../src/relay/messages.js';
import { rssKiB } from '../helpers/processes.js';
import { OutputTracker, RawClient, attachRaw, createSession, listSessions, waitFor } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/**
 * A client that stops reading while the session floods: the shell is not held up, the
 * daemon's memory stays bounded by the ring, and when the client reads again it gets
 * a snapshot saying how much it lost, then a contiguous stream.
 */
const FLOOD_BYTES = 3_000_000; // base64 makes ~4 MB of output: four times the 1 MiB ring
const RSS_SLACK_KIB = 64 * 1024;
/** A paused socket still fills the kernel's buffers and one stream highWaterMark: well under 1 MiB. */
const PAUSED_READ_LIMIT_BYTES = 1 << 20;
const server = sharedServer();

async function sessionOffset(name: string): Promise<number> {
  return (await listSessions(server.world.ctlSocket)).find((s) => s.name === name)?.offset ?? -1;
}

test('a client that stops reading during a flood costs bounded memory and gets a snapshot with lost > 0, then contiguous output', { timeout: 60_000 }, async () => {
  const command = `read go; head -c ${FLOOD_BYTES} /dev/urandom | base64; i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.02; done`;
  await createSession(server.world.ctlSocket, { name: 'flood', command });
  const attach = await attachRaw(server.world.ctlSocket, 'flood');
  const client = server.track(attach.client);
  const { ack } = await RawClient.open(server.world.ctlSocket).then(({ client: probe, ack }) => {
    probe.close();
    return { ack };
  });
  const before = rssKiB(ack.pid);

  // stop reading, then start the flood
  client.socket.pause();
  const readBeforePause = client.socket.bytesRead;
  client.send({ type: 'input', data: Buffer.from('go\r') });

  // the shell is not held up by the stalled client: the whole flood reaches the ring
  let peak = before;
  await waitFor(
    async () => {
      peak = Math.max(peak, rssKiB(ack.pid));
      return (await sessionOffset('flood')) > (FLOOD_BYTES * 4) / 3;
    },
    { timeoutMs: 30_000, what: 'the flood to be written while the client is stalled', everyMs: 100 },
  );
  peak = Math.max(peak, rssKiB(ack.pid));
  expect(peak - before, `daemon RSS went from ${before} kB to ${peak} kB`).toBeLessThan(RSS_SLACK_KIB);
  // the stall is real: while paused this client took in no more than socket buffers hold,
  // a small part of the ~4 MB the shell wrote meanwhile, so the daemon met a full socket
  const readWhilePaused = client.socket.bytesRead - readBeforePause;
  expect(readWhilePaused, `read ${readWhilePaused} bytes while paused`).toBeLessThan(PAUSED_READ_LIMIT_BYTES);

  // read again: what was in flight, then a snapshot with lost > 0, then a contiguous stream
  client.socket.resume();
  const early = new OutputTracker(attach.attached.offset);
  let snapshot: MessageOf<'snapshot'> | undefined;
  while (snapshot === undefined) {
    const msg: Message | undefined = await client.next(15_000);
    if (msg === undefined) throw new Error('closed before a snapshot');
    if (msg.type === 'output') early.take(msg);
    else if (msg.type === 'snapshot') snapshot = msg;
    // the PTY took the client's `go`: its acknowledgement may come on its own
    else if (msg.type !== 'ack') throw new Error(`unexpected ${msg.type} before the snapshot`);
  }
  expect(snapshot.lost).toBeGreaterThan(0);
  expect(snapshot.offset).toBeGreaterThan(early.offset);
  // what the client missed is what the snapshot says it lost, at least
  expect(snapshot.offset - early.offset).toBeGreaterThanOrEqual(snapshot.lost);
  // in-flight output before the stall was bounded by socket buffers, not the flood
  expect(early.offset - attach.attached.offset).toBeLessThan(1 << 20);

  const after = new OutputTracker(snapshot.offset);
  await after.readUntil(client, (text) => [...text.matchAll(/tick (\d+)\r\n/g)].length >= 5, 15_000);
  const ticks = [...after.text().matchAll(/tick (\d+)\r\n/g)].map((m) => Number(m[1]));
  ticks.forEach((k, i) => i > 0 && expect(k).toBe(ticks[i - 1]! + 1));
  expect(rssKiB(ack.pid) - before).toBeLessThan(RSS_SLACK_KIB);
});

test('a repaint asked for by a client that fell out of the ring says how much was skipped', { timeout: 60_000 }, async () => {
  const command = `read go; head -c ${FLOOD_BYTES} /dev/urandom | base64; echo FLOOD-DONE; exec cat`;
  await createSession(server.world.ctlSocket, { name: 'asked', command });
  const attach = await attachRaw(server.world.ctlSocket, 'asked');
  const client = server.track(attach.client);
  client.socket.pause();
  client.send({ type: 'input', data: Buffer.from('go\r') });
  await waitFor(async () => (await sessionOffset('asked')) > (FLOOD_BYTES * 4) / 3, { timeoutMs: 30_000, what: 'the flood to be written while the client is stalled' });

  // the request reaches the daemon before the stalled socket drains, so no pump noticed the loss yet
  client.send({ type: 'repaint' });
  client.socket.resume();
  let snapshot: MessageOf<'snapshot'> | undefined;
  while (snapshot === undefined) {
    const msg: Message | undefined = await client.next(15_000);
    if (msg === undefined) throw new Error('closed before a snapshot');
    if (msg.type === 'snapshot') snapshot = msg;
  }
  expect(snapshot.lost).toBeGreaterThan(0);
});
