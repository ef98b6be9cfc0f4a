import { createHash, randomBytes } from 'node:crypto';
import { Writable, type Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { CHANNEL_WINDOW_BYTES, ChannelMux, TYPING_IN_FLIGHT_BYTES, type ChannelAcceptor, type ChannelLink } from '../../src/relay/channel-mux.js';
import type { Channel } from '../../src/relay/channel.js';
import { isGrittyError } from '../../src/relay/errors.js';
import type { Message } from '../../src/relay/messages.js';
import { carry, linkPair } from '../helpers/link-pair.js';
import { waitFor } from '../helpers/protocol.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Reads a stream to its end and returns the bytes. */
function collect(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function connected(session: ChannelMux, laptop: ChannelMux, resume: boolean): Promise<{ close(): void }> {
  const pair = await linkPair();
  cleanups.push(() => pair.close());
  const sessionState = session.state();
  const laptopState = laptop.state();
  carry(pair.a, session);
  carry(pair.b, laptop);
  if (resume) {
    session.resume(laptopState);
    laptop.resume(sessionState);
  }
  return { close: () => pair.close() };
}

const echo: ChannelAcceptor = async (kind) => {
  if (kind !== 'echo') throw new Error(`no ${kind} here`);
  return (stream) => stream.pipe(stream);
};

describe('ChannelMux over a real socket', () => {
  test('a channel carries 8 MiB each way byte-exactly and ends cleanly on both sides', async () => {
    const session = new ChannelMux('session', async () => (stream) => void collect(stream).then((data) => stream.end(data)));
    const laptop = new ChannelMux('laptop', echo);
    await connected(session, laptop, false);
    const stream = await laptop.open('upper', {});
    const payload = randomBytes(8 << 20);
    const back = collect(stream);
    stream.end(payload);
    expect(sha(await back)).toBe(sha(payload));
    await waitFor(() => session.size === 0 && laptop.size === 0, { what: 'both sides to forget the channel' });
  });

  test('a refused open rejects with the acceptor’s reason', async () => {
    const session = new ChannelMux('session', echo);
    const laptop = new ChannelMux('laptop', async () => {
      throw new Error('forwarding is off on this laptop');
    });
    await connected(session, laptop, false);
    const err = await session.open('agent', {}).catch((e: unknown) => e);
    expect(isGrittyError(err, 'channel-refused')).toBe(true);
    expect((err as Error).message).toBe('forwarding is off on this laptop');
    expect(session.size + laptop.size).toBe(0);
  });

  test('a reader that stops reading stops its writer: at most a window is held at either end', async () => {
    let sink: Duplex | undefined;
    const session = new ChannelMux('session', async () => (stream) => {
      sink = stream;
      stream.pause();
    });
    const laptop = new ChannelMux('laptop', echo);
    await connected(session, laptop, false);
    const stream = await laptop.open('sink', {});
    let written = 0;
    const chunk = Buffer.alloc(16 * 1024, 1);
    // write until the channel says stop, as a piped producer would
    while (stream.write(chunk)) written += chunk.length;
    written += chunk.length;
    await waitFor(() => sink !== undefined && sink.readableLength > 0, { what: 'data at the stalled reader' });
    const stalled = await new Promise<boolean>((resolve) => {
      let drained = false;
      stream.once('drain', () => (drained = true));
      setTimeout(() => resolve(!drained), 300);
    });
    expect(stalled).toBe(true);
    expect(sink!.readableLength).toBeLessThanOrEqual(CHANNEL_WINDOW_BYTES);
    expect(written).toBeLessThanOrEqual(CHANNEL_WINDOW_BYTES * 2 + chunk.length);
    // the reader resumes: the writer may go on, and every byte arrives
    const got = collect(sink!);
    sink!.resume();
    stream.end();
    expect((await got).length).toBe(written);
  });

  test('a stream survives its link dying mid-transfer: after a resume on a new link it completes byte-exactly', async () => {
    let received: Promise<Buffer> | undefined;
    const session = new ChannelMux('session', async () => (stream) => {
      received = collect(stream);
    });
    const laptop = new ChannelMux('laptop', echo);
    const first = await connected(session, laptop, false);
    const stream = await laptop.open('upload', {});
    const payload = randomBytes(6 << 20);
    let sent = 0;
    const writeSome = (upTo: number): void => {
      while (sent < upTo) {
        const end = Math.min(upTo, sent + 100_000);
        stream.write(payload.subarray(sent, end));
        sent = end;
      }
    };
    writeSome(3 << 20);
    await waitFor(() => received !== undefined);
    // the link dies with frames in flight: whatever the kernel held is lost
    first.close();
    session.detachLink();
    laptop.detachLink();
    writeSome(payload.length);
    stream.end();
    await connected(session, laptop, true);
    expect(sha(await received!)).toBe(sha(payload));
  });

  test('an open made while the link is down reaches the other side on resume', async () => {
    const session = new ChannelMux('session', echo);
    const laptop = new ChannelMux('laptop', echo);
    const opened = session.open('echo', {});
    await connected(session, laptop, true);
    const stream = await opened;
    const back = collect(stream);
    stream.end('ping');
    expect((await back).toString()).toBe('ping');
  });

  test('a peer that sends past the window, or on an id of the other side’s numbering, loses its connection', async () => {
    const pair = await linkPair();
    cleanups.push(() => pair.close());
    const session = new ChannelMux('session', async () => (stream) => stream.pause());
    carry(pair.a, session);
    const closed = new Promise<string | undefined>((resolve) => pair.a.onClose((reason) => resolve(reason?.message)));
    pair.b.send({ type: 'ch-open', id: 2, kind: 'x', params: {} });
    await waitFor(() => session.size === 1);
    for (let offset = 0; offset <= CHANNEL_WINDOW_BYTES * 2; offset += 65_536) {
      pair.b.send({ type: 'ch-data', id: 2, offset, data: Buffer.alloc(65_536) });
    }
    expect(await closed).toMatch(/past its window/);

    const other = await linkPair();
    cleanups.push(() => other.close());
    const fresh = new ChannelMux('session', echo);
    carry(other.a, fresh);
    const refused = new Promise<string | undefined>((resolve) => other.a.onClose((reason) => resolve(reason?.message)));
    other.b.send({ type: 'ch-open', id: 3, kind: 'echo', params: {} });
    expect(await refused).toMatch(/this side's numbering/);
  });

  test('closeAll ends every channel on both sides with the reason', async () => {
    const errors: string[] = [];
    const session = new ChannelMux('session', echo);
    const laptop = new ChannelMux('laptop', async () => (stream) => stream.on('error', (err) => errors.push(err.message)));
    await connected(session, laptop, false);
    const a = await session.open('one', {});
    const b = await session.open('two', {});
    const localErrors: string[] = [];
    for (const s of [a, b]) s.on('error', (err) => localErrors.push(err.message));
    session.closeAll('session work was taken over by desktop');
    await waitFor(() => errors.length === 2 && localErrors.length === 2);
    expect(new Set([...errors, ...localErrors])).toEqual(new Set(['session work was taken over by desktop']));
    expect(laptop.size).toBe(0);
  });
});

describe('ChannelMux over a link that loses frames', () => {
  /** A link whose frames the test delivers, or drops, by hand. */
  function handLink(): { link: ChannelLink; sent: Message[] } {
    const sent: Message[] = [];
    return { sent, link: { send: (msg) => void sent.push(msg), bulkReady: () => true, whenBulkReady: (cb) => queueMicrotask(cb) } };
  }

  async function deliver(from: Message[], to: ChannelMux, keep: (msg: Message) => boolean = () => true): Promise<void> {
    for (let rounds = 0; rounds < 50 && from.length > 0; rounds++) {
      for (const msg of from.splice(0)) if (keep(msg)) to.handle(msg);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  test('an acknowledgement lost with the link is said again on resume, so a sender with a full window goes on', async () => {
    let reader: Duplex | undefined;
    const { session, laptop, s: s1, l: l1, stream } = await openSink((taken) => {
      reader = taken;
      taken.resume();
    });
    let received = 0;
    reader!.on('data', (chunk: Buffer) => (received += chunk.length));

    // a whole window goes over and is read, but every acknowledgement of it is lost with the link
    stream.write(Buffer.alloc(CHANNEL_WINDOW_BYTES, 7));
    await deliver(l1.sent, session);
    await deliver(s1.sent, laptop, (msg) => msg.type !== 'ack');
    expect(received).toBe(CHANNEL_WINDOW_BYTES);

    session.detachLink();
    laptop.detachLink();
    const [s2, l2] = [handLink(), handLink()];
    const sessionState = session.state();
    const laptopState = laptop.state();
    session.attachLink(s2.link);
    laptop.attachLink(l2.link);
    session.resume(laptopState);
    laptop.resume(sessionState);
    stream.write(Buffer.alloc(1000, 8));
    for (let i = 0; i < 5; i++) {
      await deliver(s2.sent, laptop);
      await deliver(l2.sent, session);
    }
    expect(received).toBe(CHANNEL_WINDOW_BYTES + 1000);
  });

  /** A channel from the laptop to a session whose end goes to `take` (by default read to the end), with its frames delivered by hand. */
  async function openSink(
    take: (stream: Duplex) => void = (stream) => void stream.resume(),
  ): Promise<{ session: ChannelMux; laptop: ChannelMux; s: ReturnType<typeof handLink>; l: ReturnType<typeof handLink>; stream: Duplex }> {
    const session = new ChannelMux('session', async () => take);
    const laptop = new ChannelMux('laptop', echo);
    const [s, l] = [handLink(), handLink()];
    session.attachLink(s.link);
    laptop.attachLink(l.link);
    const opening = laptop.open('sink', {});
    await deliver(l.sent, session);
    await deliver(s.sent, laptop);
    return { session, laptop, s, l, stream: await opening };
  }

  const dataBytes = (sent: Message[]): number => sent.reduce((sum, msg) => sum + (msg.type === 'ch-data' ? msg.data.length : 0), 0);

  test('while input is recent, channel data in flight is held to TYPING_IN_FLIGHT_BYTES, so a keystroke queues behind little; after, to the window again', async () => {
    const typing = await openSink();
    typing.laptop.typing();
    typing.stream.write(Buffer.alloc(CHANNEL_WINDOW_BYTES, 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(dataBytes(typing.l.sent)).toBe(TYPING_IN_FLIGHT_BYTES);

    const idle = await openSink();
    // typed long ago: the hold is over
    idle.laptop.typing(Date.now() - 60_000);
    idle.stream.write(Buffer.alloc(CHANNEL_WINDOW_BYTES, 1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(dataBytes(idle.l.sent)).toBe(CHANNEL_WINDOW_BYTES);
  });

  test('a receiver that saw input acknowledges every half of TYPING_IN_FLIGHT_BYTES at once, so the held-back sender keeps moving', async () => {
    const { session, laptop, s, l, stream } = await openSink();
    laptop.typing();
    session.typing();
    stream.write(Buffer.alloc(CHANNEL_WINDOW_BYTES, 1));
    await new Promise((resolve) => setImmediate(resolve));
    const first = l.sent.splice(0);
    expect(dataBytes(first)).toBe(TYPING_IN_FLIGHT_BYTES);
    // delivered without any wait: acknowledgements come from the reads, not from the ack timer
    for (const msg of first) session.handle(msg);
    // one turn for the flowing reader to take the data: far less than the ack timer's 5 ms
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.sent.filter((msg) => msg.type === 'ack').length).toBeGreaterThan(0);
    for (const msg of s.sent.splice(0)) laptop.handle(msg);
    await new Promise((resolve) => setImmediate(resolve));
    expect(dataBytes(l.sent)).toBe(TYPING_IN_FLIGHT_BYTES);
  });

  /** A sink that takes writes but completes them only when the test says so. */
  function heldSink(): { sink: Writable; got: string[]; complete(): void } {
    const got: string[] = [];
    const pending: (() => void)[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        got.push(chunk.toString('latin1'));
        pending.push(callback);
      },
    });
    return { sink, got, complete: () => pending.splice(0).forEach((done) => done()) };
  }

  test('a diverted channel writes to its sink what came before, then what comes after, and acknowledges bytes only once the sink has taken them', async () => {
    let channel: Channel | undefined;
    const { session, laptop, s, l, stream } = await openSink((taken) => void (channel = taken as Channel));

    stream.write('early');
    await deliver(l.sent, session);
    const { sink, got, complete } = heldSink();
    channel!.divert(sink);
    stream.write('late');
    await deliver(l.sent, session);
    // 'late' waits in the sink's queue behind 'early'
    expect(got).toEqual(['early']);
    expect(session.takeAcks()).toBeUndefined();
    complete();
    await waitFor(() => got.length === 2);
    expect(got).toEqual(['early', 'late']);
    complete();
    await waitFor(() => s.sent.some((msg) => msg.type === 'ack' && msg.channels?.some((ack) => ack.offset === 9)), {
      what: 'an acknowledgement of the 9 bytes the sink took, with nothing more arriving',
    });

    // the peer's end ends the sink, and is acknowledged once the sink has finished
    stream.end();
    await deliver(l.sent, session);
    await waitFor(() => sink.writableFinished);
    await waitFor(() => s.sent.some((msg) => msg.type === 'ack' && msg.channels?.some((ack) => ack.eof === true)), { what: 'the end acknowledged' });
  });

  test('sendNow says when the window is full, and whenSpace when acknowledgements have freed it', async () => {
    const session = new ChannelMux('session', echo);
    const laptop = new ChannelMux('laptop', async () => (stream) => void stream.resume());
    const [s, l] = [handLink(), handLink()];
    session.attachLink(s.link);
    laptop.attachLink(l.link);
    const opening = session.open('sink', {});
    await deliver(s.sent, laptop);
    await deliver(l.sent, session);
    const source = (await opening) as Channel;
    expect(source.sendNow(Buffer.alloc(CHANNEL_WINDOW_BYTES / 2))).toBe(true);
    expect(source.sendNow(Buffer.alloc(CHANNEL_WINDOW_BYTES / 2))).toBe(false);
    let freed = false;
    source.whenSpace(() => (freed = true));
    expect(freed).toBe(false);
    await deliver(s.sent, laptop);
    await deliver(l.sent, session);
    expect(freed).toBe(true);
  });
});

describe('a channel closed with a reason before its opener has it', () => {
  test('an accept and a close in one read leave the opener a destroyed channel with the reason, and nothing unhandled', async () => {
    const sent: Message[] = [];
    const link: ChannelLink = { send: (msg) => void sent.push(msg), bulkReady: () => true, whenBulkReady: (callback) => queueMicrotask(callback) };
    const session = new ChannelMux('session', echo);
    session.attachLink(link);
    const opened = session.open('agent', {});
    const id = (sent.find((msg) => msg.type === 'ch-open') as { id: number }).id;
    // both in the same turn, as two frames of one socket read are handled
    session.handle({ type: 'ch-accept', id });
    session.handle({ type: 'ch-close', id, reason: 'the laptop has no agent' });
    const stream = (await opened) as Channel;
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.destroyed).toBe(true);
    expect(stream.errored?.message).toMatch(/the laptop has no agent/);
    expect(session.size).toBe(0);
  });
});
