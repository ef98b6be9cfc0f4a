import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { connectLoopback } from '../../src/forward/loopback.js';
import { splice } from '../../src/forward/splice.js';
import { SocketReads } from '../../src/relay/socket-reads.js';
import type { Channel } from '../../src/relay/channel.js';
import { CHANNEL_WINDOW_BYTES, ChannelMux, type ChannelAcceptor } from '../../src/relay/channel-mux.js';
import { carry, linkPair } from '../helpers/link-pair.js';
import { waitFor } from '../helpers/wait.js';
import { connect, receiveAll, sendRandom, tcpServer } from './port/streams.js';

/**
 * splice over real ChannelMux channels (the port tests join the halves with plain
 * sockets instead): an app's TCP connection on the session side, a TCP server on the
 * laptop side reached with a socket that reads into the shared buffer, as lf does.
 */
const MiB = 1024 * 1024;
/** The largest chunk the mux sends: how far past a window a sink may be written before the check. */
const CHUNK_SLACK_BYTES = 64 * 1024;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface World {
  session: ChannelMux;
  laptop: ChannelMux;
  /** An app's connection on the session side, spliced into a channel to the laptop's target. */
  app: Socket;
  /** The target's end of that connection, on the laptop. */
  target: Socket;
  /** The session's channel, carrying what the app writes. */
  sessionChannel: Channel;
  /** The laptop's end: its channel and the socket it writes to the target. */
  laptopChannel: Channel;
  laptopSocket: Socket;
}

/** One forwarded connection, end to end; `onTarget` sees the target's socket as soon as it is accepted. */
async function world(onTarget: (socket: Socket) => void = () => {}): Promise<World> {
  let target: Socket | undefined;
  const server = await tcpServer((socket) => {
    target = socket;
    onTarget(socket);
  });
  cleanups.push(() => server.close());
  let laptopEnd: { channel: Channel; socket: Socket } | undefined;
  const acceptor: ChannelAcceptor = async () => {
    const reads = new SocketReads();
    const socket = await connectLoopback('127.0.0.1', server.port as never, reads.onread);
    socket.on('error', () => {});
    cleanups.push(() => void socket.destroy());
    return (stream: Duplex) => {
      laptopEnd = { channel: stream as Channel, socket };
      void splice(socket, stream, reads);
    };
  };
  const session = new ChannelMux('session', () => Promise.reject(new Error('nothing to accept here')));
  const laptop = new ChannelMux('laptop', acceptor);
  const pair = await linkPair();
  cleanups.push(() => pair.close());
  carry(pair.a, session);
  carry(pair.b, laptop);

  let sessionChannel: Channel | undefined;
  const appServer = await tcpServer((socket) => {
    void session.open('lf-conn', {}).then((channel) => {
      sessionChannel = channel as Channel;
      void splice(socket, channel);
    });
  });
  cleanups.push(() => appServer.close());
  const app = await connect(appServer.port);
  app.on('error', () => {});
  cleanups.push(() => void app.destroy());
  await waitFor(() => laptopEnd !== undefined && target !== undefined && sessionChannel !== undefined, { what: 'the forwarded connection to be set up' });
  return { session, laptop, app, target: target!, sessionChannel: sessionChannel!, laptopChannel: laptopEnd!.channel, laptopSocket: laptopEnd!.socket };
}

describe('splice over mux channels', () => {
  test('carries a stream each way byte-exactly, each end on its own (half-close), and both sides forget the channel after', async () => {
    const w = await world();
    const atTarget = receiveAll(w.target);
    const sent = await sendRandom(w.app, 8 * MiB);
    expect(await atTarget).toEqual(sent);
    // the app's end arrived; the target still answers on its half
    const atApp = receiveAll(w.app);
    const answer = await sendRandom(w.target, 3 * MiB);
    expect(await atApp).toEqual(answer);
    await waitFor(() => w.session.size === 0 && w.laptop.size === 0, { what: 'both muxes to forget the channel' });
  });

  test('a target that stops reading holds the sender: a byte counts as consumed only once it has left the socket’s queue, and the app is read only while the window has room', async () => {
    const w = await world((socket) => socket.pause());
    let largestQueue = 0;
    const write = w.laptopSocket.write.bind(w.laptopSocket) as (...args: unknown[]) => boolean;
    w.laptopSocket.write = ((...args: unknown[]) => {
      const ok = write(...args);
      largestQueue = Math.max(largestQueue, w.laptopSocket.writableLength);
      return ok;
    }) as typeof w.laptopSocket.write;
    let largestHeld = 0;
    const push = w.sessionChannel.out.push.bind(w.sessionChannel.out);
    w.sessionChannel.out.push = (data: Buffer) => {
      push(data);
      largestHeld = Math.max(largestHeld, w.sessionChannel.out.held);
    };
    const sending = sendRandom(w.app, 64 * MiB);
    // the kernel's buffers toward the stopped target fill first; then the socket queues
    await waitFor(() => w.laptopSocket.writableLength > CHANNEL_WINDOW_BYTES / 2 + CHUNK_SLACK_BYTES, {
      what: 'the laptop socket to queue more than half a window',
      describe: () => `queued ${w.laptopSocket.writableLength}, received ${w.laptopChannel.in.received}`,
    });
    // what is still queued has not been acknowledged, so the peer's window holds the rest back
    expect(w.laptopChannel.reported.offset).toBeLessThanOrEqual(w.laptopChannel.in.received - w.laptopSocket.writableLength);
    await waitFor(() => w.sessionChannel.out.space <= 0, { what: 'the session side’s window to fill' });
    expect(w.laptopSocket.writableLength).toBeLessThanOrEqual(CHANNEL_WINDOW_BYTES);

    // the target reads again: everything arrives, and the queue never held more than a window
    const atTarget = receiveAll(w.target);
    w.target.resume();
    expect(await atTarget).toEqual(await sending);
    expect(largestQueue).toBeLessThanOrEqual(CHANNEL_WINDOW_BYTES + CHUNK_SLACK_BYTES);
    // and the sending side read the app only while its window had room
    expect(largestHeld).toBeLessThanOrEqual(CHANNEL_WINDOW_BYTES + CHUNK_SLACK_BYTES);
  });

  test('a reset at the target closes the app’s connection, and a reset by the app closes the target’s; neither side keeps the channel', async () => {
    const first = await world();
    const appEnded = new Promise((resolve) => {
      first.app.once('end', resolve);
      first.app.once('close', resolve);
    });
    first.target.resetAndDestroy();
    await appEnded;
    await waitFor(() => first.session.size === 0 && first.laptop.size === 0, { what: 'both muxes to forget the channel' });

    const second = await world();
    const targetEnded = new Promise((resolve) => {
      second.target.once('end', resolve);
      second.target.once('close', resolve);
    });
    second.app.resetAndDestroy();
    await targetEnded;
    await waitFor(() => second.session.size === 0 && second.laptop.size === 0, { what: 'both muxes to forget the channel' });
  });
});

describe('splice of a connection that failed first', () => {
  test('a socket closed while its channel was being opened closes the channel on both sides', async () => {
    const laptop = new ChannelMux('laptop', async () => (stream) => void stream.on('error', () => {}).resume());
    const session = new ChannelMux('session', () => Promise.reject(new Error('nothing to accept here')));
    const pair = await linkPair();
    cleanups.push(() => pair.close());
    carry(pair.a, session);
    carry(pair.b, laptop);
    let accepted: Socket | undefined;
    const server = await tcpServer((socket) => (accepted = socket));
    cleanups.push(() => server.close());
    const app = await connect(server.port);
    cleanups.push(() => void app.destroy());
    await waitFor(() => accepted !== undefined);
    const channel = await session.open('lf-conn', {});
    accepted!.destroy();
    await new Promise((resolve) => accepted!.once('close', resolve));
    void splice(accepted!, channel);
    await waitFor(() => session.size === 0 && laptop.size === 0, { what: 'both muxes to forget the channel' });
  });
});
