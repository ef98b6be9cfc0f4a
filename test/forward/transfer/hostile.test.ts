import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { encode } from '../../../src/relay/codec.js';
import { FrameDecoder, frameHeader } from '../../../src/relay/frame.js';
import { parseReceiverRecord, type ReceiverRecord } from '../../../src/forward/transfer/format.js';
import { runReceiver } from '../../../src/forward/transfer/receiver.js';
import type { TransferResult } from '../../../src/forward/transfer/events.js';
import { RecordingEvents, SocketLink, tempDir } from './link.js';

/**
 * A hostile sender: raw frames written straight to the socket, built with the codec
 * and frame header alone, so nothing of the honest sender's care applies.
 */
let work: Awaited<ReturnType<typeof tempDir>>;
let dest: string;
let outside: string;
let link: SocketLink | undefined;

beforeAll(async () => {
  work = await tempDir('hostile');
});
afterAll(async () => {
  await work.remove();
});
beforeEach(async () => {
  dest = join(work.path, 'dest');
  outside = join(work.path, 'outside');
  await rm(dest, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
  await mkdir(dest);
  await mkdir(outside);
});
afterEach(() => {
  link?.close();
  link = undefined;
});

function frame(record: unknown): Buffer {
  const body = encode(record);
  return Buffer.concat([frameHeader(body.length), body]);
}

function sha(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

const offer = (files = 1) => ({ type: 'offer', version: 1, kind: 'files', files, bytes: 0 });
const file = (path: string, data: string, extra: Record<string, unknown> = {}) => [
  { type: 'file', path, size: Buffer.byteLength(data), mode: 0o644, mtime: 1_600_000_000_000, ...extra },
  ...(data.length > 0 ? [{ type: 'data', data: Buffer.from(data) }] : []),
  { type: 'file-end', sha256: sha(data) },
];

interface Outcome {
  result: TransferResult;
  replies: ReceiverRecord[];
  events: RecordingEvents;
}

/** Writes `records` raw, then either ends the socket (`end`) or leaves it to the receiver. */
async function hostile(records: unknown[], options: { hangUp?: boolean } = {}): Promise<Outcome> {
  link = await SocketLink.open(work.path);
  const raw: Socket = link.connected;
  const replies: ReceiverRecord[] = [];
  const decoder = new FrameDecoder();
  raw.on('data', (chunk: Buffer) => {
    for (const body of decoder.push(chunk)) replies.push(parseReceiverRecord(body));
  });
  raw.on('error', () => undefined);
  const repliesEnded = new Promise((resolve) => raw.once('end', resolve).once('close', resolve));
  const events = new RecordingEvents();
  const receiving = runReceiver({ stream: link.accepted, target: { kind: 'dir', dir: dest }, events });
  raw.write(Buffer.concat(records.map(frame)));
  if (options.hangUp === true) raw.end();
  const result = await receiving;
  await repliesEnded;
  return { result, replies, events };
}

/** What a directory holds; sockets of this test are left out. */
async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('names that are not plain relative paths stop the whole transfer', () => {
  test.each([
    ['an absolute name', () => join(outside, 'evil'), /it is absolute/],
    ['../x', () => '../outside/evil', /"\.\." component/],
    ['a .. in the middle', () => 'a/../../outside/evil', /"\.\." component/],
    ['a . component', () => './evil', /"\." component/],
    ['an empty component', () => 'a//evil', /empty component/],
    ['a trailing slash', () => 'evil/', /empty component/],
    ['an empty name', () => '', /it is empty/],
    ['an escape sequence', () => 'evil\x1b[31mred', /control characters/],
    ['a newline', () => 'evil\nname', /control characters/],
    ['a NUL byte', () => 'evil\0.txt', /NUL byte/],
    ['a C1 control', () => 'evil\u009b', /control characters/],
    ['an over-long component', () => 'x'.repeat(256), /longer than 255 bytes/],
  ])('%s', async (_what, name, why) => {
    const { result, replies } = await hostile([offer(2), ...file(name(), 'pwned'), ...file('after.txt', 'later'), { type: 'end' }]);
    expect(result.error?.code).toBe('unsafe-path');
    expect(result.error?.message).toMatch(why);
    expect(result.status).toBe(1);
    expect(replies).toContainEqual(expect.objectContaining({ type: 'abort', code: 'unsafe-path' }));
    expect(await entries(dest)).toEqual([]);
    expect(await entries(outside)).toEqual([]);
    expect((await entries(work.path)).filter((name) => !name.endsWith('.sock'))).toEqual(['dest', 'outside']);
  });

  test('the refusal shows the name escaped, so it cannot drive the terminal', async () => {
    const { result } = await hostile([offer(), ...file('x\x1b]0;owned\x07', 'a')]);
    expect(result.error?.message).toContain('x\\e]0;owned\\x07');
    expect(result.error?.message).not.toContain('\x1b');
  });
});

describe('names routed through the destination', () => {
  test('a file through a symlink in the destination is refused alone; the files after it arrive', async () => {
    await symlink(outside, join(dest, 'link'));
    const { result, replies } = await hostile([offer(2), ...file('link/evil', 'pwned'), ...file('after.txt', 'fine'), { type: 'end' }]);
    expect(await entries(outside)).toEqual([]);
    expect(result.failed).toEqual([expect.objectContaining({ path: 'link/evil', code: 'unsafe-path' })]);
    expect(result.failed[0]!.message).toMatch(/"link" in the destination is a symlink/);
    expect(replies).toContainEqual(expect.objectContaining({ type: 'file-failed', path: 'link/evil' }));
    expect(replies).toContainEqual({ type: 'file-ok', path: 'after.txt' });
    expect(await readFile(join(dest, 'after.txt'), 'utf8')).toBe('fine');
    expect([result.status, result.files]).toEqual([1, 1]);
  });

  test('a directory through a symlink is refused, and nothing is created beyond it', async () => {
    await symlink(outside, join(dest, 'link'));
    const { result } = await hostile([offer(0), { type: 'dir', path: 'link/sub', mode: 0o755, mtime: 0 }, { type: 'end' }]);
    expect(result.failed).toEqual([expect.objectContaining({ path: 'link/sub', code: 'unsafe-path' })]);
    expect(await entries(outside)).toEqual([]);
  });

  test('a symlink deeper down is caught too', async () => {
    await mkdir(join(dest, 'a/b'), { recursive: true });
    await symlink(outside, join(dest, 'a/b/c'));
    const { result } = await hostile([offer(), ...file('a/b/c/d/evil', 'pwned'), { type: 'end' }]);
    expect(result.failed).toEqual([expect.objectContaining({ path: 'a/b/c/d/evil', code: 'unsafe-path' })]);
    expect(await entries(outside)).toEqual([]);
  });

  test('a file whose target is a symlink replaces the link itself and never writes through it', async () => {
    await writeFile(join(outside, 'victim'), 'precious');
    await symlink(join(outside, 'victim'), join(dest, 'name'));
    const { result, events } = await hostile([offer(), ...file('name', 'new'), { type: 'end' }]);
    expect(result.status).toBe(0);
    expect(events.paths('replacing')).toEqual(['name']);
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('precious');
    expect((await stat(join(dest, 'name'))).isFile()).toBe(true);
    expect(await readFile(join(dest, 'name'), 'utf8')).toBe('new');
  });

  test('a file where a directory stands is refused alone', async () => {
    await mkdir(join(dest, 'taken'));
    const { result } = await hostile([offer(), ...file('taken', 'x'), { type: 'end' }]);
    expect(result.failed).toEqual([expect.objectContaining({ path: 'taken', message: expect.stringMatching(/exists and is not a file/) })]);
    expect(await entries(join(dest, 'taken'))).toEqual([]);
  });
});

describe('modes', () => {
  test('setuid, setgid and sticky bits are dropped; the other bits kept', async () => {
    const { result } = await hostile([offer(2), ...file('suid', '#!/bin/sh\n', { mode: 0o6755 }), ...file('sticky', 'x', { mode: 0o1640 }), { type: 'end' }]);
    expect(result.status).toBe(0);
    expect((await stat(join(dest, 'suid'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(dest, 'sticky'))).mode & 0o7777).toBe(0o640);
  });

  test('a setgid directory is made without the bit', async () => {
    const { result } = await hostile([offer(0), { type: 'dir', path: 'shared', mode: 0o2775, mtime: 0 }, { type: 'end' }]);
    expect(result.status).toBe(0);
    expect((await stat(join(dest, 'shared'))).mode & 0o7777).toBe(0o775);
  });

  test('a mode beyond the permission bits is a bad record', async () => {
    const { result } = await hostile([offer(), ...file('f', 'x', { mode: 0o100644 })]);
    expect(result.error?.code).toBe('bad-message');
    expect(await entries(dest)).toEqual([]);
  });
});

describe('sizes that lie', () => {
  beforeEach(async () => {
    await writeFile(join(dest, 'kept'), 'earlier copy');
  });

  test('more data than announced stops the transfer; no file, no temporary, the earlier copy intact', async () => {
    const { result, replies } = await hostile([offer(), { type: 'file', path: 'kept', size: 3, mode: 0o644, mtime: 0 }, { type: 'data', data: Buffer.from('abcdef') }]);
    expect(result.error?.code).toBe('bad-message');
    expect(result.error?.message).toMatch(/more data for kept than it announced/);
    expect(replies).toContainEqual(expect.objectContaining({ type: 'abort', code: 'bad-message' }));
    expect(await entries(dest)).toEqual(['kept']);
    expect(await readFile(join(dest, 'kept'), 'utf8')).toBe('earlier copy');
  });

  test('less data than announced stops the transfer the same way', async () => {
    const { result } = await hostile([offer(), { type: 'file', path: 'kept', size: 10, mode: 0o644, mtime: 0 }, { type: 'data', data: Buffer.from('abc') }, { type: 'file-end', sha256: sha('abc') }]);
    expect(result.error?.message).toMatch(/ended kept 7 bytes short/);
    expect(await entries(dest)).toEqual(['kept']);
    expect(await readFile(join(dest, 'kept'), 'utf8')).toBe('earlier copy');
  });

  test('a wrong sha256 fails the file, which is not kept', async () => {
    const { result, replies } = await hostile([offer(), { type: 'file', path: 'kept', size: 3, mode: 0o644, mtime: 0 }, { type: 'data', data: Buffer.from('abc') }, { type: 'file-end', sha256: sha('abd') }, { type: 'end' }]);
    expect(result.failed).toEqual([expect.objectContaining({ path: 'kept', message: expect.stringMatching(/arrived damaged/) })]);
    expect(replies).toContainEqual(expect.objectContaining({ type: 'file-failed', path: 'kept' }));
    expect(replies).toContainEqual({ type: 'summary', files: 0, bytes: 3, failed: 1 });
    expect(await entries(dest)).toEqual(['kept']);
    expect(await readFile(join(dest, 'kept'), 'utf8')).toBe('earlier copy');
  });

  test('a sender that hangs up in the middle of a file leaves nothing partial', async () => {
    const { result } = await hostile([offer(), { type: 'file', path: 'kept', size: 100, mode: 0o644, mtime: 0 }, { type: 'data', data: Buffer.alloc(50) }], { hangUp: true });
    expect(result.error?.code).toBe('connection-lost');
    expect(result.error?.message).toMatch(/sender went away.*nothing partial was kept/);
    expect(await entries(dest)).toEqual(['kept']);
    expect(await readFile(join(dest, 'kept'), 'utf8')).toBe('earlier copy');
  });
});

describe('records out of place or malformed stop the transfer', () => {
  test.each([
    ['data outside a file', [offer(), { type: 'data', data: Buffer.from('x') }], /"data" outside a file/],
    ['a record in the middle of a file', [offer(), { type: 'file', path: 'f', size: 2, mode: 0o644, mtime: 0 }, { type: 'dir', path: 'd', mode: 0o755, mtime: 0 }], /"dir" in the middle of f/],
    ['a second offer', [offer(), offer()], /offered twice/],
    ['no offer first', [{ type: 'end' }], /began with "end"/],
    ['an unknown record', [offer(), { type: 'chmod', path: '/etc/shadow' }], /unknown sender record "chmod"/],
    ['a data record over 64 KiB', [offer(), { type: 'file', path: 'f', size: 70_000, mode: 0o644, mtime: 0 }, { type: 'data', data: Buffer.alloc(70_000) }], /field data: longer than 65536 bytes/],
    ['a size that is not an integer', [offer(), { type: 'file', path: 'f', size: 1.5, mode: 0o644, mtime: 0 }], /field size: expected an unsigned integer/],
    ['a path that is not a string', [offer(), { type: 'file', path: Buffer.from('f'), size: 0, mode: 0o644, mtime: 0 }], /field path: expected a string, got binary/],
    ['a sha256 of the wrong length', [offer(), { type: 'file', path: 'f', size: 0, mode: 0o644, mtime: 0 }, { type: 'file-end', sha256: Buffer.alloc(64) }], /field sha256: longer than 32 bytes/],
    ['a transfer format from the future', [{ ...offer(), version: 2 }], /transfer format 2/],
  ])('%s', async (_what, records, why) => {
    const { result } = await hostile(records);
    expect(result.error?.message).toMatch(why);
    expect(result.status).toBe(1);
    expect(await entries(dest)).toEqual([]);
  });

  test('a frame whose announced length is over the limit is refused before it is read', async () => {
    link = await SocketLink.open(work.path);
    const receiving = runReceiver({ stream: link.accepted, target: { kind: 'dir', dir: dest }, events: new RecordingEvents() });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffff_ffff);
    link.connected.write(header);
    const result = await receiving;
    expect(result.error?.code).toBe('frame-too-large');
  });
});
