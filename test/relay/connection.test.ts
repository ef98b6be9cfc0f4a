import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Connection } from '../../src/relay/connection.js';
import { GrittyError } from '../../src/relay/errors.js';
import type { Message } from '../../src/relay/messages.js';
import { RawClient, frameOf, helloOf, waitFor } from '../helpers/protocol.js';

/** A Connection on the accepting end of a real Unix socket, and a raw peer on the other. */
let dir: string;
let server: Server;
let accepted: Promise<Connection>;
const toClose: { close(): void }[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-conn-'));
  let resolve!: (c: Connection) => void;
  accepted = new Promise((r) => (resolve = r));
  // as the daemon does (relay/secure-socket.ts): half-open, so a cut-short frame can be answered
  server = createServer({ allowHalfOpen: true }, (socket: Socket) => resolve(new Connection(socket)));
  await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
});

afterEach(async () => {
  for (const c of toClose.splice(0)) c.close();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function pair(): Promise<{ conn: Connection; peer: RawClient }> {
  const peer = await RawClient.connect(join(dir, 's.sock'));
  toClose.push(peer);
  const conn = await accepted;
  toClose.push({ close: () => conn.close() });
  return { conn, peer };
}

function closeReason(conn: Connection): Promise<GrittyError | undefined> {
  return new Promise((resolve) => conn.onClose(resolve));
}

describe('Connection', () => {
  test('delivers validated messages, keeping those that came before a handler was set', async () => {
    const { conn, peer } = await pair();
    peer.sendRaw(Buffer.concat([frameOf({ type: 'ping', ts: 1 }), frameOf({ type: 'ping', ts: 2 })]));
    await waitFor(() => peer.socket.writableLength === 0);
    const got: Message[] = [];
    await waitFor(async () => {
      conn.setHandler((m) => got.push(m));
      return got.length === 2;
    });
    expect(got).toEqual([{ type: 'ping', ts: 1 }, { type: 'ping', ts: 2 }]);
  });

  test('sends frames the peer decodes', async () => {
    const { conn, peer } = await pair();
    expect(conn.send({ type: 'pong', ts: 7 })).toBe(true);
    expect(await peer.next()).toEqual({ type: 'pong', ts: 7 });
  });

  test('sendOutput writes output frames the peer decodes, and lends a large one\'s data until it is written', async () => {
    const { conn, peer } = await pair();
    const small = Buffer.from('echo');
    let smallReleased = false;
    conn.sendOutput(3, small, undefined, () => (smallReleased = true));
    // a small frame is copied behind its header: its data is given back at once
    expect(smallReleased).toBe(true);
    const large = Buffer.alloc(100_000, 0x41);
    let largeReleased = false;
    conn.sendOutput(2 ** 33, large, 9, () => (largeReleased = true));
    expect(await peer.next()).toEqual({ type: 'output', offset: 3, data: small });
    expect(await peer.next()).toEqual({ type: 'output', offset: 2 ** 33, data: large, ack: 9 });
    await waitFor(() => largeReleased);
  });

  test('sendOutput gives lent data back when the socket fails before writing it', async () => {
    const { conn, peer } = await pair();
    peer.socket.pause();
    let released = 0;
    // far more than the socket takes: the last frames wait in the connection until it breaks
    for (let i = 0; i < 64; i++) conn.sendOutput(i * 65_536, Buffer.alloc(65_536), undefined, () => released++);
    expect(released).toBeLessThan(64);
    conn.socket.destroy();
    await waitFor(() => released === 64);
  });

  test('sends channel data, small and large, as frames the peer decodes whole and in order', async () => {
    const { conn, peer } = await pair();
    const sizes = [0, 1, 4096, 4097, 32 * 1024, 64 * 1024];
    const payloads = sizes.map((size, i) => Buffer.alloc(size, i + 1));
    let offset = 0;
    for (const data of payloads) {
      conn.send({ type: 'ch-data', id: 3, offset, data });
      offset += data.length;
    }
    offset = 0;
    for (const data of payloads) {
      const got = await peer.expect('ch-data');
      expect({ id: got.id, offset: got.offset, same: got.data.equals(data) }).toEqual({ id: 3, offset, same: true });
      offset += data.length;
    }
  });

  test('hungUp() resolves only once the peer has read our last frame and hung up, and gives up at its bound', async () => {
    const { conn, peer } = await pair();
    // a daemon's socket: it answers our end in its own time, not by reflex
    peer.socket.allowHalfOpen = true;
    peer.socket.pause();
    const chunk = Buffer.alloc(32 * 1024, 7);
    let offset = 0;
    while (conn.socket.writableLength === 0) {
      conn.send({ type: 'ch-data', id: 1, offset, data: chunk });
      offset += chunk.length;
    }
    conn.send({ type: 'pong', ts: 42 });
    expect(await Promise.race([conn.hungUp(20), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000))])).toBe(undefined);
    let gone = false;
    const whenGone = conn.hungUp(60_000).then(() => (gone = true));
    conn.close();
    peer.socket.resume();
    expect((await peer.until('pong', 30_000)).msg).toEqual({ type: 'pong', ts: 42 });
    // everything has left this process, and the peer is still there: not yet
    await waitFor(() => conn.socket.writableLength === 0 && conn.socket.writableFinished, { what: 'our frames to be written out' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(gone).toBe(false);
    peer.socket.end();
    await whenGone;
    expect(conn.socket.closed).toBe(true);
  });

  test('refuses to send channel data the peer would refuse', async () => {
    const { conn } = await pair();
    expect(() => conn.send({ type: 'ch-data', id: 3, offset: -1, data: Buffer.from('x') })).toThrow(/malformed ch-data/);
  });

  test('answers a malformed message with a bad-message error frame and closes', async () => {
    const { conn, peer } = await pair();
    const reason = closeReason(conn);
    peer.send({ type: 'ping', ts: 'soon' });
    const answer = await peer.drainUntilClosed();
    expect(answer).toEqual([{ type: 'error', code: 'bad-message', message: expect.stringContaining('field ts') }]);
    expect((await reason)?.code).toBe('bad-message');
    expect(conn.isClosed).toBe(true);
  });

  test('answers an oversized length with frame-too-large and closes', async () => {
    const { conn, peer } = await pair();
    const reason = closeReason(conn);
    peer.sendRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    const answer = await peer.drainUntilClosed();
    expect(answer.map((m) => m.type === 'error' && m.code)).toEqual(['frame-too-large']);
    expect((await reason)?.code).toBe('frame-too-large');
  });

  test('stops delivering after the first bad frame in a chunk', async () => {
    const { conn, peer } = await pair();
    const got: Message[] = [];
    conn.setHandler((m) => got.push(m));
    peer.sendRaw(Buffer.concat([frameOf({ type: 'ping', ts: 1 }), frameOf({ nope: true }), frameOf({ type: 'ping', ts: 3 })]));
    await peer.drainUntilClosed();
    expect(got).toEqual([{ type: 'ping', ts: 1 }]);
  });

  test('tells a peer that ended its side mid-frame that the frame was cut short', async () => {
    const { conn, peer } = await pair();
    const reason = closeReason(conn);
    peer.socket.end(frameOf(helloOf()).subarray(0, 7));
    expect((await reason)?.code).toBe('bad-frame');
    const answer = await peer.drainUntilClosed();
    expect(answer).toEqual([expect.objectContaining({ type: 'error', code: 'bad-frame' })]);
  });

  test('reports a peer that closed between frames as a clean close', async () => {
    const { conn, peer } = await pair();
    const reason = closeReason(conn);
    peer.socket.end(frameOf({ type: 'ping', ts: 1 }));
    expect(await reason).toBeUndefined();
  });

  test('receive() rejects with the error a peer sent, and with timeout when nothing comes', async () => {
    const { conn, peer } = await pair();
    await expect(conn.receive(50)).rejects.toMatchObject({ code: 'timeout' });
    peer.send({ type: 'error', code: 'no-such-session', message: 'no session named x' });
    await expect(conn.receive(5_000)).rejects.toMatchObject({ code: 'no-such-session', message: 'no session named x' });
  });

  test('expect() refuses a message of another type', async () => {
    const { conn, peer } = await pair();
    peer.send({ type: 'ok' });
    await expect(conn.expect('sessions', 5_000)).rejects.toThrow(/expected sessions, got ok/);
  });
});

describe('Connection on the client side', () => {
  test('reports a daemon or tunnel that ended mid-frame as connection-lost, so the client reconnects', async () => {
    const path = join(dir, 'client-side.sock');
    const daemon = createServer((socket) => socket.end(frameOf(helloOf()).subarray(0, 7)));
    await new Promise<void>((resolve) => daemon.listen(path, resolve));
    try {
      const conn = new Connection(createConnection(path));
      const reason = await new Promise<GrittyError | undefined>((resolve) => conn.onClose(resolve));
      expect(reason?.code).toBe('connection-lost');
    } finally {
      daemon.close();
    }
  });
});
