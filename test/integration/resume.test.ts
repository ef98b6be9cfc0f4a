import { expect, test } from 'vitest';
import type { MessageOf } from '../../src/relay/messages.js';
import { OutputTracker, RawClient, attachRaw, createSession, listSessions, waitFor } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/** Byte-exact resume by offset over the raw protocol, and its refusal after a takeover. */
const server = sharedServer();
/** Numbered lines, about a hundred a second, for as long as the test needs. */
const COUNTER = 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.01; done';

async function attach(target: string, resume?: { token: string; offset: number }): Promise<{ client: RawClient; attached: MessageOf<'attached'> }> {
  const result = await attachRaw(server.world.ctlSocket, target, { resume });
  server.track(result.client);
  return result;
}

async function sessionOffset(name: string): Promise<number> {
  const session = (await listSessions(server.world.ctlSocket)).find((s) => s.name === name);
  if (session === undefined) throw new Error(`no session ${name}`);
  return session.offset;
}

function lineNumbers(text: string): number[] {
  return [...text.matchAll(/line (\d+)\r\n/g)].map((m) => Number(m[1]));
}

/** The ring's bytes [from, to) as a read-only tail with history sees them. */
async function history(name: string, from: number, to: number): Promise<Buffer> {
  const { client } = await RawClient.open(server.world.ctlSocket);
  server.track(client);
  client.send({ type: 'tail', target: name, from: 'history' });
  const attached = await client.expect('attached');
  expect(attached.offset).toBeLessThanOrEqual(from);
  const tracker = new OutputTracker(attached.offset);
  while (tracker.offset < to) {
    const msg = await client.next();
    if (msg?.type === 'output') tracker.take(msg);
    else if (msg === undefined) throw new Error('tail closed early');
  }
  return tracker.bytes.subarray(from - attached.offset, to - attached.offset);
}

test('a client that resumes with its token and offset gets exactly the bytes after that offset, nothing lost or repeated', async () => {
  await createSession(server.world.ctlSocket, { name: 'counter', command: COUNTER });

  const first = await attach('counter');
  expect(first.attached.lost).toBe(0);
  const before = new OutputTracker(first.attached.offset);
  await before.readUntil(first.client, (text) => lineNumbers(text).length >= 20);
  const n = before.offset;
  first.client.close();

  // output goes on while nobody is attached
  // a loaded machine runs the counter's sleep loop slowly: wait for some dozens of lines, however long they take
  await waitFor(async () => (await sessionOffset('counter')) > n + 500, { what: 'output while detached', timeoutMs: 30_000 });
  const detachedEnd = await sessionOffset('counter');

  const second = await attach('counter', { token: first.attached.token, offset: n });
  expect(second.attached.offset).toBe(n);
  expect(second.attached.lost).toBe(0);
  const firstFrame = await second.client.next();
  expect(firstFrame?.type, 'no snapshot or anything else before the resumed output').toBe('output');
  expect((firstFrame as MessageOf<'output'>).offset).toBe(n);
  const after = new OutputTracker(n);
  after.take(firstFrame as MessageOf<'output'>);
  await after.readUntil(second.client, () => after.offset >= detachedEnd + 200);

  // contiguous: the two halves are exactly the session's bytes over the same span
  const whole = Buffer.concat([before.bytes, after.bytes]);
  expect(whole.equals(await history('counter', first.attached.offset, after.offset))).toBe(true);
  // and the lines read on are consecutive across the drop
  const numbers = lineNumbers(whole.toString());
  expect(numbers.length).toBeGreaterThan(40);
  numbers.forEach((k, i) => i > 0 && expect(k, `after line ${numbers[i - 1]}`).toBe(numbers[i - 1]! + 1));
});

test('a resume with a token from before another client attached is refused with taken-over', async () => {
  await createSession(server.world.ctlSocket, { name: 'shared', command: COUNTER });
  const x = await attach('shared');
  const xTracker = new OutputTracker(x.attached.offset);
  await xTracker.readUntil(x.client, (text) => lineNumbers(text).length >= 2);
  x.client.close();

  const y = await attach('shared');
  expect(y.attached.token).not.toBe(x.attached.token);

  const { client } = await RawClient.open(server.world.ctlSocket);
  server.track(client);
  client.send({ type: 'attach', target: 'shared', cols: 80, rows: 24, resume: { token: x.attached.token, offset: xTracker.offset }, repaint: false });
  const answer = await client.drainUntilClosed();
  expect(answer.map((m) => m.type)).toEqual(['error']);
  const err = answer[0] as MessageOf<'error'>;
  expect(err.code).toBe('taken-over');
  expect(err.message).toMatch(/raw-test-client/);

  // the client that took over is untouched and still streaming
  const yTracker = new OutputTracker(y.attached.offset);
  await yTracker.readUntil(y.client, (text) => lineNumbers(text).length >= 3);
  expect(y.client.isClosed).toBe(false);
});

test('the client that is taken over is told by whom and closed', async () => {
  await createSession(server.world.ctlSocket, { name: 'stolen', command: COUNTER });
  const x = await attach('stolen');
  await attach('stolen');
  const { msg } = await x.client.until('detached');
  expect(msg.reason).toBe('taken-over');
  expect(msg.by).toMatch(/raw-test-client/);
  await x.client.closed;
});
