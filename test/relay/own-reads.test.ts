import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { acceptedConnection } from '../../src/relay/connection.js';
import type { Message } from '../../src/relay/messages.js';
import { takeOverReads } from '../../src/relay/own-reads.js';
import { frameOf } from '../helpers/protocol.js';
import { waitFor } from '../helpers/wait.js';

/**
 * takeOverReads rests on undocumented parts of Node's net.Socket (`_handle`, and a
 * handle adopted with `onread`): these fail when a Node release changes them.
 */
let dir: string;
let server: Server;
let accepted: Socket[];
const toClose: Socket[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-own-reads-'));
  accepted = [];
  server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => accepted.push(socket));
  await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
});

afterEach(async () => {
  for (const s of toClose.splice(0)) s.destroy();
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function connect(): Promise<{ client: Socket; old: Socket }> {
  const client = createConnection(join(dir, 's.sock'));
  toClose.push(client);
  await waitFor(() => accepted.length === toClose.length, { what: 'the accepted socket' });
  return { client, old: accepted.at(-1)! };
}

test('an accepted socket read through onread: every byte in the one buffer, none through the stream, writes and the server count as before', async () => {
  const { client, old } = await connect();
  const buffer = Buffer.alloc(16 * 1024);
  const received: Buffer[] = [];
  const own = takeOverReads(old, { buffer, callback: (n, buf) => received.push(Buffer.from((buf as Buffer).subarray(0, n))) > 0 }, { allowHalfOpen: true });
  expect(own, 'Node no longer keeps the handle where own-reads.ts takes it from').toBeDefined();
  const streamed: Buffer[] = [];
  own!.on('data', (chunk: Buffer) => streamed.push(chunk));
  // half-open, as the daemon's sockets are: the peer's end is answered by ours
  own!.on('end', () => own!.end());
  const sent = randomBytes(200 * 1024);
  client.write(sent);
  await waitFor(() => received.reduce((sum, b) => sum + b.length, 0) >= sent.length, { what: 'every byte' });
  expect(Buffer.concat(received).equals(sent)).toBe(true);
  expect(streamed).toEqual([]);
  const echoed: Buffer[] = [];
  client.on('data', (chunk: Buffer) => echoed.push(chunk));
  own!.write('pong');
  await waitFor(() => Buffer.concat(echoed).toString() === 'pong', { what: 'the reply' });
  // the server counts the connection until the socket it now lives in closes
  const count = (): Promise<number> => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  expect(await count()).toBe(1);
  client.end();
  await waitFor(async () => (await count()) === 0 && own!.destroyed, { what: 'the connection counted out' });
});

test('a socket that already reads, or has no handle, is left as it is', async () => {
  const { old } = await connect();
  old.resume();
  await waitFor(() => (old as unknown as { _handle: { reading: boolean } })._handle.reading, { what: 'reading to start' });
  expect(takeOverReads(old, { buffer: Buffer.alloc(64), callback: () => true })).toBeUndefined();
  old.destroy();
  expect(takeOverReads(old, { buffer: Buffer.alloc(64), callback: () => true })).toBeUndefined();
});

test('destroying the old socket (as node-pty does at exit) destroys the new one', async () => {
  const { old } = await connect();
  const own = takeOverReads(old, { buffer: Buffer.alloc(64), callback: () => true })!;
  own.resume();
  old.destroy();
  await waitFor(() => own.destroyed, { what: 'the new socket destroyed' });
});

test('acceptedConnection reads frames directly, from a socket the server accepted paused', async () => {
  const { client, old } = await connect();
  const conn = acceptedConnection(old);
  expect(conn.socket).not.toBe(old);
  const got: Message[] = [];
  conn.setHandler((msg) => got.push(msg));
  client.write(Buffer.concat([frameOf({ type: 'ping', ts: 1 }), frameOf({ type: 'ping', ts: 2 })]));
  await waitFor(() => got.length === 2, { what: 'both frames' });
  expect(got).toEqual([
    { type: 'ping', ts: 1 },
    { type: 'ping', ts: 2 },
  ]);
  expect(() => conn.release()).toThrow(/direct reads/);
});
