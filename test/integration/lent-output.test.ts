import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { RawClient, createSession, listSessions } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Output frames are written from the ring itself, not from a copy (issue 11): while a
 * frame waits in a socket, the ring must not change the bytes it shows. A tail never
 * holds the program up, so a tail that stops reading lets the ring wrap many times over
 * the frame its socket still holds: every output byte it is sent must still be the
 * byte the program wrote at that offset.
 */

/** seq 1 400000 through the PTY: 2.7 MB, more than twice the default 1 MiB ring. */
const LINES = 400_000;

const server = sharedServer();

function expectedStream(): Buffer {
  const lines: string[] = [];
  for (let i = 1; i <= LINES; i++) lines.push(`${i}\r\n`);
  lines.push('END\r\n');
  return Buffer.from(lines.join(''));
}

test('a tail that stops reading during a flood gets only bytes the program wrote, at their offsets', { timeout: 120_000 }, async () => {
  const { world } = server;
  const go = join(world.root, 'go');
  const expected = expectedStream();
  await createSession(world.ctlSocket, { name: 'lend', command: `while [ ! -e ${go} ]; do sleep 0.05; done; seq 1 ${LINES}; echo END; exec cat` });
  const { client } = await RawClient.open(world.ctlSocket);
  server.track(client);
  client.send({ type: 'tail', target: 'lend', from: 'now' });
  const attached = await client.expect('attached');
  expect(attached.offset).toBe(0);

  // the daemon's writes fill the socket and the frame after them waits, lent, in the daemon
  client.socket.pause();
  writeFileSync(go, '');
  await waitFor(async () => ((await listSessions(world.ctlSocket)).find((s) => s.name === 'lend')?.offset ?? 0) >= expected.length, {
    what: 'the whole flood to reach the ring',
    timeoutMs: 60_000,
  });

  client.socket.resume();
  let checkedBeforeRepaint = 0;
  let repainted = false;
  for (let end = 0; end < expected.length; ) {
    const msg = await client.next(30_000);
    if (msg === undefined) throw new Error('the daemon closed the tail');
    if (msg.type === 'snapshot') {
      // the picture stands for everything before its offset; the stream goes on from there
      repainted = true;
      end = msg.offset;
    }
    if (msg.type !== 'output') continue;
    const want = expected.subarray(msg.offset, msg.offset + msg.data.length);
    if (!Buffer.from(msg.data).equals(want)) {
      throw new Error(`output at ${msg.offset} (${msg.data.length} bytes) is not what the program wrote there: ${JSON.stringify(Buffer.from(msg.data).subarray(0, 40).toString('latin1'))}`);
    }
    if (!repainted) checkedBeforeRepaint += msg.data.length;
    end = msg.offset + msg.data.length;
  }
  // the flood ran far past the tail, which fell out of the ring: what its socket held came first
  expect(repainted).toBe(true);
  expect(checkedBeforeRepaint).toBeGreaterThan(64 * 1024);
});
