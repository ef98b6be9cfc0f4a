import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Connection } from '../../src/relay/connection.js';
import { MAX_CLIENT_LABEL_CHARS, MAX_ERROR_CHARS } from '../../src/relay/messages.js';
import { GrittyError } from '../../src/relay/errors.js';
import { RawClient } from '../helpers/protocol.js';

/** What a Connection sends is held to the schema the peer checks. */
let dir: string;
let server: Server;
let accepted: Promise<Connection>;
let peer: RawClient | undefined;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-out-'));
  let resolve!: (c: Connection) => void;
  accepted = new Promise((r) => (resolve = r));
  server = createServer({ allowHalfOpen: true }, (socket: Socket) => resolve(new Connection(socket)));
  await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
  peer = await RawClient.connect(join(dir, 's.sock'));
});

afterEach(async () => {
  peer?.close();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('a message the peer would refuse is not sent: the sender fails with internal instead', async () => {
  const conn = await accepted;
  const by = 'x'.repeat(MAX_CLIENT_LABEL_CHARS + 1);
  expect(() => conn.send({ type: 'detached', reason: 'taken-over', by })).toThrow(GrittyError);
  expect(() => conn.send({ type: 'detached', reason: 'taken-over', by })).toThrow(/refusing to send a malformed detached/);
  conn.send({ type: 'detached', reason: 'taken-over', by: by.slice(1) });
  expect((await peer!.expect('detached')).by).toBe(by.slice(1));
});

test('an error too long for the wire is cut to fit, so the peer still hears why', async () => {
  const conn = await accepted;
  conn.close(new GrittyError('spawn-failed', `no such directory: /${'d'.repeat(MAX_ERROR_CHARS * 2)}`));
  const error = await peer!.expect('error');
  expect(error.code).toBe('spawn-failed');
  expect(error.message).toHaveLength(MAX_ERROR_CHARS);
  expect(error.message).toMatch(/^no such directory: \/d+$/);
});
