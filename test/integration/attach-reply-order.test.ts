import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as nodePty from 'node-pty';
import { afterEach, expect, test } from 'vitest';
import { decode } from '../../src/relay/codec.js';
import { FrameDecoder } from '../../src/relay/frame.js';
import { PROTOCOL_VERSION, type Message } from '../../src/relay/messages.js';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { frameOf, waitFor } from '../helpers/protocol.js';

/**
 * The session's first frames after `attached` may arrive in the same read as it, and
 * a fresh attach's first output frame carries the input acknowledgement of what earlier
 * clients typed. The client must know where input continues before it reads them: it
 * once took such an ack for more than it had sent and dropped the connection
 * ("acknowledgement of offset 47, but only 0 was sent"), as CI saw once.
 */

let world: GrittyEnv | undefined;
let server: Server | undefined;
let term: nodePty.IPty | undefined;
afterEach(() => {
  term?.kill('SIGKILL');
  server?.close();
  world?.cleanup();
});

const TYPED_BEFORE = 47;
const GREETING = 'greeting-from-the-session';

/** A daemon that answers an attach with `attached` and an acknowledged output frame in one write. */
function fakeDaemon(path: string, seen: Message[]): Promise<Server> {
  const srv = createServer((socket: Socket) => {
    const decoder = new FrameDecoder();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const body of decoder.push(chunk)) {
        const msg = decode(body) as Message;
        seen.push(msg);
        if (msg.type === 'hello') socket.write(frameOf({ type: 'hello-ack', version: PROTOCOL_VERSION, caps: [], serverId: 'fake', pid: process.pid, startedAt: Date.now() }));
        if (msg.type === 'attach') {
          const session = { id: 'fake-1', name: 'x', pid: process.pid, createdAt: Date.now(), activeAt: Date.now(), attached: true, cols: 80, rows: 24, offset: 0 };
          socket.write(
            Buffer.concat([
              frameOf({ type: 'attached', session, token: 'fake-token', offset: 0, lost: 0, input: TYPED_BEFORE }),
              frameOf({ type: 'output', offset: 0, data: Buffer.from(GREETING), ack: TYPED_BEFORE }),
            ]),
          );
        }
      }
    });
  });
  const previous = process.umask(0o177);
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(path, () => {
      process.umask(previous);
      resolve(srv);
    });
  });
}

test('the first output frame after attached, in the same read and acknowledging earlier input, is shown and keeps the connection', async () => {
  world = makeGrittyEnv();
  mkdirSync(world.socketDir, { recursive: true, mode: 0o700 });
  const seen: Message[] = [];
  server = await fakeDaemon(world.ctlSocket, seen);
  let screen = '';
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(world.env)) if (value !== undefined) env[key] = value;
  term = nodePty.spawn(process.execPath, [GRITTY_BIN, 'attach', 'local:x'], { env, cols: 80, rows: 24 });
  term.onData((data) => (screen += data));
  await waitFor(() => screen.includes(GREETING), { timeoutMs: 15_000, what: `the greeting on the client's terminal; it showed ${JSON.stringify(screen)}` });
  expect(seen.filter((m) => m.type === 'hello')).toHaveLength(1);
  expect(seen.filter((m) => m.type === 'error')).toEqual([]);
  expect(screen).not.toContain('acknowledgement of offset');
});
