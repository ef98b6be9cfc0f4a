import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Connection } from '../../src/relay/connection.js';
import type { GrittyError } from '../../src/relay/errors.js';
import type { Message, MessageOf } from '../../src/relay/messages.js';
import { SocketReads } from '../../src/relay/socket-reads.js';
import { frameOf, waitFor } from '../helpers/protocol.js';

/** A Connection reading a real Unix socket with `onread` (as the attached client does), and a raw peer writing frames to it. */
let dir: string;
let server: Server;
let accepted: Promise<Socket>;
const toClose: { destroy(): void }[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-direct-'));
  let resolve!: (s: Socket) => void;
  accepted = new Promise((r) => (resolve = r));
  server = createServer((socket) => resolve(socket));
  await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
});

afterEach(async () => {
  for (const s of toClose.splice(0)) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function pair(): Promise<{ conn: Connection; peer: Socket; got: Message[] }> {
  const direct = new SocketReads();
  const socket = createConnection({ path: join(dir, 's.sock'), onread: direct.onread });
  toClose.push(socket);
  await new Promise((r) => socket.once('connect', r));
  const conn = new Connection(socket, direct);
  const peer = await accepted;
  toClose.push(peer);
  const got: Message[] = [];
  conn.setHandler((msg) => got.push(msg));
  return { conn, peer, got };
}

test('frames split across reads, many in one read, and larger than the read buffer all arrive intact, each keeping its own bytes', async () => {
  const { peer, got } = await pair();
  const keys = Array.from({ length: 200 }, (_, i) => Buffer.from([i]));
  const big = randomBytes(300 * 1024);
  const frames = Buffer.concat([...keys.map((data, i) => frameOf({ type: 'output', offset: i, data })), frameOf({ type: 'output', offset: keys.length, data: big })]);
  // byte by byte at first, so frames and even headers are split across reads; then the rest at once
  for (let i = 0; i < 50; i++) peer.write(frames.subarray(i, i + 1));
  peer.write(frames.subarray(50));
  await waitFor(() => got.length === keys.length + 1, { what: 'every frame' });
  const outputs = got as MessageOf<'output'>[];
  // the early frames' data still holds its bytes: what later reads put into the shared buffer did not overwrite it
  expect(outputs.slice(0, keys.length).map((m) => m.data)).toEqual(keys);
  expect(outputs.map((m) => m.offset)).toEqual([...keys.keys(), keys.length]);
  expect(outputs.at(-1)!.data.equals(big)).toBe(true);
  expect(outputs.reduce((sum, m) => sum + m.data.length, 0)).toBe(keys.length + big.length);
});

test('a peer that hangs up closes the connection', async () => {
  const { conn, peer } = await pair();
  const closed = new Promise<GrittyError | undefined>((resolve) => conn.onClose(resolve));
  peer.end();
  expect(await closed).toBeUndefined();
});

test('a connection paused and resumed takes everything sent meanwhile, in order', async () => {
  const { conn, peer, got } = await pair();
  conn.pause();
  peer.write(frameOf({ type: 'ping', ts: 1 }));
  await waitFor(() => peer.writableLength === 0);
  peer.write(frameOf({ type: 'ping', ts: 2 }));
  conn.resume();
  await waitFor(() => got.length === 2, { what: 'both pings' });
  expect(got).toEqual([
    { type: 'ping', ts: 1 },
    { type: 'ping', ts: 2 },
  ]);
});

test('a connection with direct reads refuses to hand its socket on as a plain stream', async () => {
  const { conn } = await pair();
  expect(() => conn.release()).toThrow(/direct reads/);
});

test('every socket read this way reads into one buffer: a connection costs no 64 KiB of its own', () => {
  expect(new SocketReads().onread.buffer).toBe(new SocketReads().onread.buffer);
});

test('reads before a consumer is bound are kept as copies and stop the socket; they go first, once, when bound', () => {
  const reads = new SocketReads();
  const buffer = reads.onread.buffer as Buffer;
  buffer.write('banner', 0, 'latin1');
  expect(reads.onread.callback(6, buffer)).toBe(false);
  // the next read would land in the same memory
  buffer.write('XXXXXX', 0, 'latin1');
  const taken: string[] = [];
  reads.bind((data) => taken.push(data.toString('latin1')));
  expect(taken).toEqual(['banner']);
  buffer.write('next', 0, 'latin1');
  expect(reads.onread.callback(4, buffer)).toBe(true);
  expect(taken).toEqual(['banner', 'next']);
});
