import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrittyError } from '../../src/relay/errors.js';
import type { AcceptChannel, ChannelParams, OpenChannel } from '../../src/forward/seam.js';
import type { ChannelKind } from '../../src/forward/policy.js';

/**
 * Stands in for the session link in module tests: joins one side's OpenChannel to the
 * other side's AcceptChannel through a REAL Unix socket pair per channel, so the
 * halves meet kernel buffers, backpressure, half-close and resets as they will on the
 * mux, not a mock. `detach()` makes every open fail as when no client is attached.
 */
export interface ChannelPair {
  open: OpenChannel;
  /** Every open asked for, refused or not, in order. */
  opens: { kind: ChannelKind; params: ChannelParams }[];
  /** Live socket ends (both sides of every accepted channel), for leak checks. */
  live(): number;
  detach(): void;
  close(): Promise<void>;
}

export async function channelPair(accept: AcceptChannel): Promise<ChannelPair> {
  const dir = mkdtempSync(join(tmpdir(), 'gritty-pair-'));
  const path = join(dir, 'pair.sock');
  const sockets = new Set<Socket>();
  const track = (socket: Socket): Socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    return socket;
  };
  let nextAccepted: ((socket: Socket) => void) | undefined;
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => nextAccepted?.(track(socket)));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  let attached = true;
  // one socket pair at a time, so each accepted socket is matched with its own connect
  let queue: Promise<unknown> = Promise.resolve();
  const opens: ChannelPair['opens'] = [];

  const socketPair = (): Promise<[Socket, Socket]> => {
    const made = queue.then(
      () =>
        new Promise<[Socket, Socket]>((resolve, reject) => {
          const near = track(createConnection({ path, allowHalfOpen: true }));
          near.once('error', reject);
          nextAccepted = (far) => {
            nextAccepted = undefined;
            near.off('error', reject);
            resolve([near, far]);
          };
        }),
    );
    queue = made.catch(() => undefined);
    return made;
  };

  const open: OpenChannel = async (kind, params) => {
    opens.push({ kind, params });
    if (!attached) throw new GrittyError('channel-refused', 'no client is attached to this session');
    const take = await accept(kind, params);
    const [near, far] = await socketPair();
    take(far);
    return near;
  };

  return {
    open,
    opens,
    live: () => sockets.size,
    detach: () => {
      attached = false;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A header line is a kind and small params; the cap keeps a test peer from being a memory hog. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The same join across processes (one side in its own network namespace, say): the
 * opener connects to `path` and sends one JSON line {kind, params}; the acceptor's
 * process answers "ok" or "refused <reason>" on one line, and the socket then IS the
 * channel. `serveChannels` runs in the accepting process, `remoteOpen` in the opener.
 */
export function serveChannels(path: string, accept: AcceptChannel): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    void readLine(socket).then(async (line) => {
      const { kind, params } = JSON.parse(line) as { kind: string; params: ChannelParams };
      let take: Awaited<ReturnType<AcceptChannel>>;
      try {
        take = await accept(kind, params);
      } catch (err) {
        socket.end(`refused ${(err as Error).message.replace(/\n/g, ' ')}\n`);
        return;
      }
      socket.write('ok\n');
      take(socket);
    }).catch(() => socket.destroy());
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

export function remoteOpen(path: string): OpenChannel {
  return async (kind, params) => {
    const socket = createConnection({ path, allowHalfOpen: true });
    socket.on('error', () => {});
    socket.write(`${JSON.stringify({ kind, params })}\n`);
    const status = await readLine(socket);
    if (status === 'ok') return socket;
    socket.destroy();
    throw new GrittyError('channel-refused', status.replace(/^refused /, ''));
  };
}

/** Reads one line, leaving whatever follows it unread on the socket. */
function readLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(0x0a);
      if (end < 0) {
        if (buffered.length > MAX_HEADER_BYTES) fail(new Error('header line too long'));
        return;
      }
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (end + 1 < buffered.length) socket.unshift(buffered.subarray(end + 1));
      resolve(buffered.subarray(0, end).toString('utf8'));
    };
    const onClose = (): void => fail(new Error('closed before a full line'));
    const fail = (err: Error): void => {
      socket.off('data', onData);
      socket.destroy();
      reject(err);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
