import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exitOf } from '../../helpers/wait.js';
import { SocketLink, sha256File, tempDir } from './link.js';

const PEER = fileURLToPath(new URL('./peer.mjs', import.meta.url));
const PIPE_BYTES = (16 << 20) + 777;

let work: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  work = await tempDir('pipes');
});
afterAll(async () => {
  await work.remove();
});

/**
 * `producer | send --stdin` in one process and `receive --stdout > file` in another,
 * each with real pipes for stdin and stdout, joined by relaying their two socket
 * connections into each other as the session will.
 */
test('send --stdin in one process to receive --stdout in another, through a relay, is byte-exact', async () => {
  const input = join(work.path, 'in.bin');
  const output = join(work.path, 'out.bin');
  await writeFile(input, randomFillSync(Buffer.alloc(PIPE_BYTES)));
  const listener = await SocketLink.listen(work.path);
  const first = listener.next();
  const sender = spawn(process.execPath, [PEER, 'send-stdin', listener.path], { stdio: ['pipe', 'ignore', 'pipe'] });
  const senderSide = await first;
  const second = listener.next();
  const receiver = spawn(process.execPath, [PEER, 'receive-stdout', listener.path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const receiverSide = await second;
  senderSide.pipe(receiverSide).pipe(senderSide);
  createReadStream(input).pipe(sender.stdin);
  receiver.stdout.pipe(createWriteStream(output));
  const reports = { sender: '', receiver: '' };
  sender.stderr.on('data', (chunk: Buffer) => (reports.sender += chunk.toString()));
  receiver.stderr.on('data', (chunk: Buffer) => (reports.receiver += chunk.toString()));

  expect(await exitOf(sender)).toBe(0);
  expect(await exitOf(receiver)).toBe(0);
  listener.server.close();
  expect(JSON.parse(reports.sender)).toEqual({ status: 0, bytes: PIPE_BYTES });
  expect(JSON.parse(reports.receiver)).toEqual({ status: 0, bytes: PIPE_BYTES });
  expect(await sha256File(output)).toBe(await sha256File(input));
});
