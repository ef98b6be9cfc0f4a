import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, test } from 'vitest';
import { OK_FRAME, readOk, readOneFrame } from '../../src/client/one-frame.js';
import { Connection } from '../../src/relay/connection.js';

let dir: string | undefined;
let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Both ends of a real Unix socket connection. */
async function socketPair(): Promise<{ near: Socket; far: Socket }> {
  dir = mkdtempSync(join(tmpdir(), 'one-frame-'));
  const path = join(dir, 's.sock');
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer(resolve);
    server.listen(path);
  });
  await new Promise((resolve) => server!.once('listening', resolve));
  const near = createConnection(path);
  await new Promise((resolve) => near.once('connect', resolve));
  const far = await accepted;
  sockets.push(near, far);
  return { near, far };
}

function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.resume();
  return new Promise((resolve) => socket.once('end', () => resolve(Buffer.concat(chunks))));
}

test('the bytes behind a frame stay for the next reader, however late it comes, on a socket a Connection released', async () => {
  const pair = await socketPair();
  const conn = new Connection(pair.near);
  pair.far.write(OK_FRAME);
  await conn.expect('ok', 5_000);
  const near = conn.release().socket;
  const { far } = pair;
  const payload = Buffer.from('the first transfer record, right behind the ok');
  far.write(OK_FRAME);
  await readOk(near, 5_000);
  far.end(Buffer.concat([OK_FRAME, payload]));
  await sleep(50);
  await readOk(near, 5_000);
  // the transfer's reader arrives a while after pairing
  await sleep(100);
  expect((await collect(near)).toString()).toBe(payload.toString());
});

test('a frame split across writes is read whole; an end before a frame rejects', async () => {
  const first = await socketPair();
  first.far.write(OK_FRAME.subarray(0, 2));
  const read = readOneFrame(first.near, 5_000);
  await sleep(20);
  first.far.write(OK_FRAME.subarray(2));
  await expect(read).resolves.toEqual({ type: 'ok' });
  first.far.end();
  await expect(readOneFrame(first.near, 5_000)).rejects.toMatchObject({ code: 'connection-lost' });
});

test('nothing within the time is a timeout', async () => {
  const { near } = await socketPair();
  await expect(readOneFrame(near, 100)).rejects.toMatchObject({ code: 'timeout' });
});
