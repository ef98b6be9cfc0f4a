import { expect, test } from 'vitest';
import { OutputTracker, RawClient, attachRaw, createSession, listSessions } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/** tail is a read-only viewer: it sees the stream and can change nothing. */
const server = sharedServer();

async function tail(target: string, from: 'now' | 'history' | 'screen'): Promise<{ client: RawClient; tracker: OutputTracker }> {
  const { client } = await RawClient.open(server.world.ctlSocket);
  server.track(client);
  client.send({ type: 'tail', target, from });
  const attached = await client.expect('attached');
  expect(attached.token).toBe('');
  return { client, tracker: new OutputTracker(attached.offset) };
}

test('input, resize and detach from a tail viewer never reach the session', async () => {
  await createSession(server.world.ctlSocket, { name: 'ro', command: 'cat' });
  const owner = await attachRaw(server.world.ctlSocket, 'ro');
  server.track(owner.client);
  const ownerOut = new OutputTracker(owner.attached.offset);
  const viewer = await tail('ro', 'now');

  viewer.client.send({ type: 'input', data: Buffer.from('from-tail\r') });
  viewer.client.send({ type: 'resize', cols: 33, rows: 11 });
  // a pong proves the daemon has handled everything the viewer sent before it
  viewer.client.send({ type: 'ping', ts: 42 });
  const { msg: pong } = await viewer.client.until('pong');
  expect(pong.ts).toBe(42);

  owner.client.send({ type: 'input', data: Buffer.from('from-owner\r') });
  await ownerOut.readUntil(owner.client, (text) => text.includes('from-owner\r\nfrom-owner\r\n'));
  await viewer.tracker.readUntil(viewer.client, (text) => text.includes('from-owner\r\nfrom-owner\r\n'));
  expect(ownerOut.text()).not.toContain('from-tail');
  expect(viewer.tracker.text()).not.toContain('from-tail');
  // the owner is still the attached client and the size is its own
  const session = (await listSessions(server.world.ctlSocket)).find((s) => s.name === 'ro')!;
  expect(session.attached).toBe(true);
  expect([session.cols, session.rows]).toEqual([80, 24]);

  // a detach from the viewer does not detach the owner
  viewer.client.send({ type: 'detach' });
  owner.client.send({ type: 'input', data: Buffer.from('after-detach\r') });
  await ownerOut.readUntil(owner.client, (text) => text.includes('after-detach\r\nafter-detach\r\n'));
  expect(owner.client.isClosed).toBe(false);
});

test('tail --history starts at the oldest byte held, tail from now at the end', async () => {
  await createSession(server.world.ctlSocket, { name: 'hist', command: 'printf "early-%s\\n" 1 2 3; exec cat' });
  const history = await tail('hist', 'history');
  expect(history.tracker.offset).toBe(0);
  await history.tracker.readUntil(history.client, (text) => text.includes('early-3'));
  expect(history.tracker.text()).toMatch(/^early-1\r\nearly-2\r\nearly-3\r\n/);

  const now = await tail('hist', 'now');
  expect(now.tracker.offset).toBeGreaterThanOrEqual(history.tracker.offset);
});
