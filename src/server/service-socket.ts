import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { splice } from '../forward/splice.js';
import { Connection } from '../relay/connection.js';
import { GrittyError, isGrittyError } from '../relay/errors.js';
import type { Logger } from '../relay/log.js';
import type { MessageOf } from '../relay/messages.js';
import type { ChannelParams } from '../relay/channel.js';

/** A helper has this long to say hello and make its request. */
const REQUEST_TIMEOUT_MS = 10_000;

/** Something the daemon runs for a helper while the helper stays connected (a `gritty lf` listener, a `gritty rf`). */
export interface HeldService {
  close(): Promise<void>;
  /** Resolves if the service ends by itself (the laptop an rf listened on went away): the helper is then hung up on. */
  ended?: Promise<void>;
}

/**
 * Starts a held service for a helper: `tell` writes a line to the helper (what it should
 * show its user). Rejects with the reason it cannot start (a busy port).
 */
export type StartService = (params: ChannelParams, tell: (line: string) => void) => Promise<HeldService>;

export interface ServiceOptions {
  /** Answers the helper's hello as the daemon would (a version mismatch is refused there). */
  handshake(conn: Connection): Promise<void>;
  /** Opens a channel to the session's attached client; rejects with the reason it cannot. */
  openChannel(kind: string, params: ChannelParams): Promise<Duplex>;
  /** Channel kinds an in-session helper may ask for. */
  kinds: ReadonlySet<string>;
  /** Services the daemon itself runs for as long as the asking helper stays connected, by request kind. */
  services: ReadonlyMap<string, StartService>;
  log: Logger;
}

/**
 * A session's own socket (GRITTY_SOCK): helpers run inside the session (`gritty open`,
 * `lf`, `rf`, `send`, `receive`) reach the laptop through it, and only through the
 * channel kinds and services meant for them. It offers nothing of the daemon's control
 * socket: no other session, no kill-server. Once a channel is granted (`ok`), the
 * connection is that channel's plain byte stream; once a service is started (`ok`), it
 * carries the daemon's notices to the helper, and its end stops the service.
 */
export function serviceConnections(options: ServiceOptions): (socket: Socket) => void {
  return (socket) => void serve(socket, options);
}

async function serve(socket: Socket, options: ServiceOptions): Promise<void> {
  const conn = new Connection(socket);
  try {
    await options.handshake(conn);
    const request = await conn.receive(REQUEST_TIMEOUT_MS);
    if (request.type !== 'svc-channel') {
      throw new GrittyError('bad-message', `a session's service socket takes only svc-channel, not ${request.type}; use the daemon's socket for that`);
    }
    const service = options.services.get(request.kind);
    if (service !== undefined) await hold(conn, request, service);
    else await grant(conn, request, options);
  } catch (err) {
    if (!isGrittyError(err)) options.log.error('service request failed', err);
    conn.close(isGrittyError(err) ? err : new GrittyError('internal', 'the daemon failed; see its log'));
  }
}

async function grant(conn: Connection, request: MessageOf<'svc-channel'>, options: ServiceOptions): Promise<void> {
  if (!options.kinds.has(request.kind)) {
    throw new GrittyError('channel-refused', `no ${request.kind} channels through a session's service socket`);
  }
  const channel = await options.openChannel(request.kind, request.params);
  if (conn.isClosed) {
    channel.destroy();
    return;
  }
  conn.send({ type: 'ok' });
  const { socket, rest } = conn.release();
  if (rest.length > 0) channel.write(rest);
  void splice(socket, channel);
}

/** Runs the service while the helper's connection lives: its Ctrl-C, exit or kill -9 stops it. */
async function hold(conn: Connection, request: MessageOf<'svc-channel'>, start: StartService): Promise<void> {
  let socket: Socket | undefined;
  const service = await start(request.params, (line) => {
    if (socket?.writable === true) socket.write(`${line}\n`);
  });
  if (conn.isClosed) {
    await service.close();
    return;
  }
  conn.send({ type: 'ok' });
  socket = conn.release().socket;
  socket.on('error', () => {});
  // the helper sends nothing after ok; whatever it does send is dropped unread
  socket.resume();
  socket.once('end', () => socket!.destroy());
  socket.once('close', () => void service.close());
  void service.ended?.then(() => socket!.end());
}
