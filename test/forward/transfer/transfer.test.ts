import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, truncateSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runReceiver, type ReceiveTarget } from '../../../src/forward/transfer/receiver.js';
import { runSender, type SendSource } from '../../../src/forward/transfer/sender.js';
import { ReusedReads } from '../../../src/relay/reused-reads.js';
import { RecordingEvents, SocketLink, sha256File, tempDir } from './link.js';

const MIB = 1 << 20;
/** The size the issue names: big enough that a missing byte or a reordered chunk cannot hide. */
const BIG_BYTES = 256 * MIB;

let work: Awaited<ReturnType<typeof tempDir>>;
let link: SocketLink | undefined;

beforeAll(async () => {
  work = await tempDir('transfer');
});
afterAll(async () => {
  await work.remove();
});
afterEach(() => {
  link?.close();
  link = undefined;
});

/**
 * Runs a sender on one end of a real Unix socket and a receiver on the other.
 * `reused`: the receiver connects, reading into one reused buffer, as `gritty receive` does.
 */
async function transfer(source: SendSource, target: ReceiveTarget, senderEnd: 'connected' | 'accepted' | 'reused' = 'connected', allowHalfOpen = false) {
  const reads = senderEnd === 'reused' ? new ReusedReads() : undefined;
  link = await SocketLink.open(work.path, { allowHalfOpen, reusedReads: reads });
  const senderStream = senderEnd === 'connected' ? link.connected : link.accepted;
  const receiverStream = senderEnd === 'connected' ? link.accepted : link.connected;
  const sent = new RecordingEvents();
  const received = new RecordingEvents();
  const [sender, receiver] = await Promise.all([
    runSender({ stream: senderStream, source, events: sent }),
    runReceiver({ stream: receiverStream, reads, target, events: received }),
  ]);
  return { sender, receiver, sent, received };
}

async function freshDir(name: string): Promise<string> {
  const path = join(work.path, name);
  await rm(path, { recursive: true, force: true });
  await mkdir(path);
  return path;
}

/** Writes `bytes` of random data in 1 MiB pieces and returns its sha256. */
async function randomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  const piece = Buffer.allocUnsafe(MIB);
  for (let done = 0; done < bytes; done += piece.length) {
    const chunk = piece.subarray(0, Math.min(piece.length, bytes - done));
    randomFillSync(chunk);
    hash.update(chunk);
    await handle.write(chunk);
  }
  await handle.close();
  return hash.digest('hex');
}

describe('256 MiB of random data', () => {
  let source: string;
  let digest: string;

  beforeAll(async () => {
    source = join(work.path, 'big.bin');
    digest = await randomFile(source, BIG_BYTES);
  });
  afterAll(async () => {
    await rm(source, { force: true });
  });

  test.each([
    ['the connected end of the socket sends', 'connected'],
    ['the accepted end sends', 'accepted'],
    ['the receiver decodes straight from its reused read buffer', 'reused'],
  ] as const)('arrives byte-exact when %s', async (_, senderEnd) => {
    const dest = await freshDir(`big-${senderEnd}`);
    const { sender, receiver, received } = await transfer({ kind: 'paths', paths: [source], recursive: false }, { kind: 'dir', dir: dest }, senderEnd);
    expect(receiver.error).toBeUndefined();
    expect(sender.error).toBeUndefined();
    expect([sender.status, receiver.status]).toEqual([0, 0]);
    expect([sender.bytes, receiver.bytes, received.progressBytes]).toEqual([BIG_BYTES, BIG_BYTES, BIG_BYTES]);
    expect((await stat(join(dest, 'big.bin'))).size).toBe(BIG_BYTES);
    expect(await sha256File(join(dest, 'big.bin'))).toBe(digest);
    expect(await readdir(dest)).toEqual(['big.bin']);
    await rm(dest, { recursive: true });
  });
});

describe('a tree with -r', () => {
  const MTIME = new Date('2021-03-04T05:06:07.000Z');

  async function makeTree(root: string): Promise<void> {
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'deep/er/est'), { recursive: true });
    await mkdir(join(root, 'empty-dir'));
    await writeFile(join(root, 'a.txt'), 'alpha\n');
    await writeFile(join(root, 'bin/run.sh'), '#!/bin/sh\necho hi\n');
    await writeFile(join(root, 'deep/er/est/f.txt'), 'deep\n');
    await writeFile(join(root, 'empty.txt'), '');
    await writeFile(join(root, 'secret'), 'key\n');
    await symlink('a.txt', join(root, 'inside-link'));
    await symlink('/etc/passwd', join(root, 'deep/outside-link'));
    await chmod(join(root, 'bin/run.sh'), 0o755);
    await chmod(join(root, 'secret'), 0o600);
    await chmod(join(root, 'a.txt'), 0o640);
    await chmod(join(root, 'empty-dir'), 0o750);
    await chmod(join(root, 'bin'), 0o711);
    for (const path of ['a.txt', 'bin/run.sh', 'deep/er/est/f.txt', 'empty.txt', 'secret', 'empty-dir', 'bin', 'deep/er/est', 'deep/er', 'deep', '.']) {
      await utimes(join(root, path), MTIME, MTIME);
    }
  }

  test('keeps contents, modes, mtimes, empty files and empty directories, and skips symlinks', async () => {
    const origin = await freshDir('tree-origin');
    const tree = join(origin, 'tree');
    await mkdir(tree);
    await makeTree(tree);
    const dest = await freshDir('tree-dest');

    const { sender, receiver, sent, received } = await transfer({ kind: 'paths', paths: [tree], recursive: true }, { kind: 'dir', dir: dest });

    expect(receiver.error).toBeUndefined();
    expect([sender.status, receiver.status, receiver.files]).toEqual([0, 0, 5]);
    for (const [path, content, mode] of [
      ['a.txt', 'alpha\n', 0o640],
      ['bin/run.sh', '#!/bin/sh\necho hi\n', 0o755],
      ['deep/er/est/f.txt', 'deep\n', 0o644],
      ['empty.txt', '', 0o644],
      ['secret', 'key\n', 0o600],
    ] as const) {
      const info = await stat(join(dest, 'tree', path));
      expect(await readFile(join(dest, 'tree', path), 'utf8'), path).toBe(content);
      expect(info.mode & 0o7777, path).toBe(mode);
      expect(info.mtimeMs, path).toBe(MTIME.getTime());
    }
    for (const [path, mode] of [['empty-dir', 0o750], ['bin', 0o711], ['deep/er/est', 0o755], ['.', 0o755]] as const) {
      const info = await lstat(join(dest, 'tree', path));
      expect(info.isDirectory(), path).toBe(true);
      expect(info.mode & 0o7777, path).toBe(mode);
      expect(info.mtimeMs, path).toBe(MTIME.getTime());
    }
    expect(await readdir(join(dest, 'tree', 'empty-dir'))).toEqual([]);
    expect(await readdir(join(dest, 'tree', 'deep'))).toEqual(['er']);
    expect((await readdir(join(dest, 'tree'))).sort()).toEqual(['a.txt', 'bin', 'deep', 'empty-dir', 'empty.txt', 'secret']);
    const skipped = [{ path: 'tree/deep/outside-link', reason: 'symlink' }, { path: 'tree/inside-link', reason: 'symlink' }];
    expect(sender.skipped).toEqual(skipped);
    expect(receiver.skipped).toEqual(skipped);
    expect(sent.paths('skipped')).toEqual(skipped.map((s) => s.path));
  });

  test('refuses a directory without -r, before anything is sent', async () => {
    const dest = await freshDir('no-r-dest');
    const { sender, receiver } = await transfer({ kind: 'paths', paths: [await freshDir('no-r')], recursive: false }, { kind: 'dir', dir: dest });
    expect(sender.error?.message).toMatch(/is a directory; send it with -r/);
    expect(receiver.error?.message).toMatch(/sender stopped the transfer.*send it with -r/);
    expect([sender.status, receiver.status]).toEqual([1, 1]);
    expect(await readdir(dest)).toEqual([]);
  });

  test('refuses a named file whose name the receiver would refuse, before anything is sent', async () => {
    const origin = await freshDir('bad-name');
    await writeFile(join(origin, 'bell\x07'), 'x');
    const dest = await freshDir('bad-name-dest');
    const { sender, receiver } = await transfer({ kind: 'paths', paths: [join(origin, 'bell\x07')], recursive: false }, { kind: 'dir', dir: dest });
    expect(sender.error?.message).toMatch(/bell\\x07 has control characters .*rename it first/);
    expect(receiver.error?.code).toBe('transfer-failed');
    expect(await readdir(dest)).toEqual([]);
  });
});

describe('replacing', () => {
  test('an existing file is replaced whole and the replacement announced', async () => {
    const origin = await freshDir('replace-origin');
    const dest = await freshDir('replace-dest');
    await writeFile(join(origin, 'notes.txt'), 'new contents');
    await writeFile(join(dest, 'notes.txt'), 'old');
    const { receiver, received } = await transfer({ kind: 'paths', paths: [join(origin, 'notes.txt')], recursive: false }, { kind: 'dir', dir: dest });
    expect(receiver.status).toBe(0);
    expect(received.paths('replacing')).toEqual(['notes.txt']);
    expect(await readFile(join(dest, 'notes.txt'), 'utf8')).toBe('new contents');
  });

  test('a file that does not exist yet is not announced as a replacement', async () => {
    const origin = await freshDir('new-origin');
    const dest = await freshDir('new-dest');
    await writeFile(join(origin, 'fresh.txt'), 'x');
    const { received } = await transfer({ kind: 'paths', paths: [join(origin, 'fresh.txt')], recursive: false }, { kind: 'dir', dir: dest });
    expect(received.paths('replacing')).toEqual([]);
    expect(received.paths('done')).toEqual(['fresh.txt']);
  });
});

describe('pipe mode', () => {
  const PIPE_BYTES = 8 * MIB + 12_345;

  test.each(['connected', 'reused'] as const)('send --stdin to receive --stdout is byte-exact (%s)', async (senderEnd) => {
    const origin = await freshDir('pipe-origin');
    const digest = await randomFile(join(origin, 'in.bin'), PIPE_BYTES);
    const out = join(origin, 'out.bin');
    const output = createWriteStream(out);
    const { sender, receiver, received } = await transfer({ kind: 'stdin', input: createReadStream(join(origin, 'in.bin')) }, { kind: 'stdout', output }, senderEnd);
    await new Promise((resolve) => output.end(resolve));
    expect([sender.status, receiver.status, sender.bytes, receiver.bytes]).toEqual([0, 0, PIPE_BYTES, PIPE_BYTES]);
    expect(received.log[0]).toEqual({ event: 'start', path: '', size: undefined });
    expect(await sha256File(out)).toBe(digest);
  });

  test('an empty pipe arrives as nothing, successfully', async () => {
    const input = new PassThrough();
    input.end();
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    const { sender, receiver } = await transfer({ kind: 'stdin', input }, { kind: 'stdout', output });
    expect([sender.status, receiver.status, receiver.files]).toEqual([0, 0, 1]);
    expect(Buffer.concat(chunks)).toHaveLength(0);
  });

  test('one named file can be received on stdout', async () => {
    const origin = await freshDir('one-to-stdout');
    await writeFile(join(origin, 'a.txt'), 'to stdout');
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    const { receiver } = await transfer({ kind: 'paths', paths: [join(origin, 'a.txt')], recursive: false }, { kind: 'stdout', output });
    expect(receiver.status).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe('to stdout');
  });

  test('several files are refused by stdout, saying to receive into a directory', async () => {
    const origin = await freshDir('many-to-stdout');
    await writeFile(join(origin, 'a'), 'a');
    await writeFile(join(origin, 'b'), 'b');
    const { sender, receiver } = await transfer({ kind: 'paths', paths: [join(origin, 'a'), join(origin, 'b')], recursive: false }, { kind: 'stdout', output: new PassThrough() });
    expect(receiver.error?.message).toMatch(/offers 2 files, and stdout takes one: receive them into a directory/);
    expect(sender.error?.message).toMatch(/receiver stopped the transfer.*into a directory/);
    expect([sender.status, receiver.status]).toEqual([1, 1]);
  });

  test('a pipe sent to a directory is refused, saying to use --stdout', async () => {
    const dest = await freshDir('pipe-to-dir');
    const input = new PassThrough();
    input.end('data');
    const { sender, receiver } = await transfer({ kind: 'stdin', input }, { kind: 'dir', dir: dest });
    expect(receiver.error?.message).toMatch(/receive --stdout/);
    expect(sender.error?.message).toMatch(/receive --stdout/);
    expect(await readdir(dest)).toEqual([]);
  });
});

describe('failures on one side reach the other', () => {
  test('a file that shrinks while it is sent stops the transfer on both sides; the earlier copy stays', async () => {
    const origin = await freshDir('shrink-origin');
    const dest = await freshDir('shrink-dest');
    await writeFile(join(origin, 'log.txt'), Buffer.alloc(4 * MIB, 'x'));
    await writeFile(join(dest, 'log.txt'), 'earlier');
    link = await SocketLink.open(work.path);
    const sent = new RecordingEvents();
    const progress = sent.progress.bind(sent);
    let truncated = false;
    sent.progress = (bytes) => {
      progress(bytes);
      if (!truncated) {
        truncated = true;
        truncateSync(join(origin, 'log.txt'), 0);
      }
    };
    const [sender, receiver] = await Promise.all([
      runSender({ stream: link.connected, source: { kind: 'paths', paths: [join(origin, 'log.txt')], recursive: false }, events: sent }),
      runReceiver({ stream: link.accepted, target: { kind: 'dir', dir: dest }, events: new RecordingEvents() }),
    ]);
    expect(sender.error?.message).toMatch(/log\.txt shrank while it was being sent/);
    expect(receiver.error?.message).toMatch(/the sender stopped the transfer \(transfer-failed\): .*log\.txt shrank/);
    expect([sender.status, receiver.status]).toEqual([1, 1]);
    expect(await readdir(dest)).toEqual(['log.txt']);
    expect(await readFile(join(dest, 'log.txt'), 'utf8')).toBe('earlier');
  });

  test('files the destination refuses are reported back to the sender, which exits non-zero', async () => {
    const origin = await freshDir('refused-origin');
    await mkdir(join(origin, 'tree'));
    await writeFile(join(origin, 'tree', 'a'), 'a');
    await writeFile(join(origin, 'b'), 'b');
    const dest = await freshDir('refused-dest');
    const elsewhere = await freshDir('refused-elsewhere');
    await symlink(elsewhere, join(dest, 'tree'));
    const { sender, receiver, sent } = await transfer({ kind: 'paths', paths: [join(origin, 'tree'), join(origin, 'b')], recursive: true }, { kind: 'dir', dir: dest });
    expect(receiver.error).toBeUndefined();
    expect(sender.failed.map((f) => f.path)).toEqual(['tree', 'tree/a']);
    expect(sent.paths('failed')).toEqual(['tree', 'tree/a']);
    expect([sender.status, receiver.status, sender.files, receiver.files]).toEqual([1, 1, 1, 1]);
    expect(await readdir(elsewhere)).toEqual([]);
    expect(await readFile(join(dest, 'b'), 'utf8')).toBe('b');
  });
});

describe('on a stream whose ends stay open after the other side ended (a channel with eof)', () => {
  test('a transfer completes, and so does one the receiver refuses', async () => {
    const origin = await freshDir('half-open-origin');
    await writeFile(join(origin, 'a'), 'a');
    await writeFile(join(origin, 'b'), 'b');
    const dest = await freshDir('half-open-dest');
    const done = await transfer({ kind: 'paths', paths: [join(origin, 'a')], recursive: false }, { kind: 'dir', dir: dest }, 'connected', true);
    expect([done.sender.status, done.receiver.status]).toEqual([0, 0]);
    expect(await readFile(join(dest, 'a'), 'utf8')).toBe('a');
    link?.close();
    const refused = await transfer({ kind: 'paths', paths: [join(origin, 'a'), join(origin, 'b')], recursive: false }, { kind: 'stdout', output: new PassThrough() }, 'connected', true);
    expect(refused.sender.error?.message).toMatch(/receiver stopped the transfer/);
    expect([refused.sender.status, refused.receiver.status]).toEqual([1, 1]);
  });
});
