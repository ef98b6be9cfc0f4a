import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { Message } from '../../src/relay/messages.js';
import { OutputTracker, RawClient, attachRaw, createSession, waitFor } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/**
 * Input acknowledgements over the raw protocol: they ride on output frames when output
 * follows (a keystroke's echo) and come on their own when none does (a password), so a
 * client always learns that its input reached the PTY and can let go of it.
 */
const server = sharedServer();

/** The input acknowledgement a message carries, if any. */
function inputAck(msg: Message): number | undefined {
  if (msg.type === 'output') return msg.ack;
  if (msg.type === 'ack') return msg.input;
  if (msg.type === 'pong') return msg.ack?.input;
  return undefined;
}

/** A session running `command` once a first line is typed (so its READY comes after the attach); `input` is where typing continues. */
async function attachReady(name: string, command: string): Promise<{ client: RawClient; tracker: OutputTracker; start: number; input: number }> {
  await createSession(server.world.ctlSocket, { name, command: `read go; ${command}` });
  const { client, attached } = await attachRaw(server.world.ctlSocket, name);
  server.track(client);
  const tracker = new OutputTracker(attached.offset);
  const go = Buffer.from('go\r');
  client.send({ type: 'input', offset: attached.input ?? 0, data: go });
  await tracker.readUntil(client, (text) => text.includes('READY'));
  return { client, tracker, start: attached.offset, input: (attached.input ?? 0) + go.length };
}

test('input that no output follows is acknowledged on its own, and reaches the program once', async () => {
  const file = join(server.world.root, 'typed');
  const { client, input } = await attachReady('silent', `stty raw -echo; printf READY; exec cat > ${file}`);
  const typed = Buffer.from('hunter2');
  client.send({ type: 'input', offset: input, data: typed });
  let acked = input;
  while (acked < input + typed.length) {
    const msg = await client.next();
    if (msg === undefined) throw new Error('the daemon closed the connection before acknowledging the input');
    acked = Math.max(acked, inputAck(msg) ?? acked);
  }
  expect(acked).toBe(input + typed.length);
  await waitFor(() => readFileSync(file).length === typed.length, { what: 'the typed bytes in the file' });
  expect(readFileSync(file)).toEqual(typed);
});

test('echoed keystrokes are acknowledged up to the last one, each echoed once', async () => {
  const { client, tracker, start, input } = await attachReady('echo', `stty raw -echo; printf READY; exec cat`);
  const keys = 20;
  const echoedFrom = tracker.offset;
  let acked = input;
  for (let i = 0; i < keys; i++) {
    client.send({ type: 'input', offset: input + i, data: Buffer.from('k') });
    // one keystroke at a time, as typed: the next goes once this one's echo is back
    while (tracker.offset < echoedFrom + i + 1) {
      const msg = await client.next();
      if (msg === undefined) throw new Error('the daemon closed the connection');
      if (msg.type === 'output') tracker.take(msg);
      acked = Math.max(acked, inputAck(msg) ?? acked);
    }
  }
  while (acked < input + keys) {
    const msg = await client.next();
    if (msg === undefined) throw new Error('the daemon closed the connection');
    if (msg.type === 'output') tracker.take(msg);
    acked = Math.max(acked, inputAck(msg) ?? acked);
  }
  expect(acked).toBe(input + keys);
  expect(tracker.bytes.subarray(echoedFrom - start).toString()).toBe('k'.repeat(keys));
});
