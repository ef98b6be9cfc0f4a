import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '../relay/connection.js';
import { GrittyError } from '../relay/errors.js';
import type { ReusedReads } from '../relay/reused-reads.js';
import { SocketReads } from '../relay/socket-reads.js';
import { CLIENT_CAPABILITIES, PROTOCOL_VERSION, type MessageOf } from '../relay/messages.js';
import { checkPrivateDir, checkSocketPath } from '../relay/secure-socket.js';

/** How long a daemon has to answer hello. */
export const HELLO_TIMEOUT_MS = 10_000;

export interface Identity {
  deviceId: string;
  clientName: string;
}

export interface DaemonLink {
  conn: Connection;
  ack: MessageOf<'hello-ack'>;
}

/**
 * Connects to a daemon socket; fails with `no-server` when nothing listens there.
 * `directReads`: the connection stays framed for good (an attach, a request), and reads
 * skip the stream machinery; a connection to be released to a plain stream needs it off.
 * `reusedReads`: the socket reads into that one buffer (a transfer, released after pairing).
 */
export function connectSocket(path: string, options: { directReads?: boolean; reusedReads?: ReusedReads } = {}): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const direct = options.directReads === true ? new SocketReads() : undefined;
    const socket = createConnection({ path, onread: direct?.onread ?? options.reusedReads?.onread });
    options.reusedReads?.attach(socket);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new Connection(socket, direct));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? new GrittyError('no-server', `no gritty server is listening on ${path}`, { cause: err })
          : new GrittyError('connection-lost', `cannot connect to ${path}: ${err.message}`, { cause: err }),
      );
    });
  });
}

/**
 * Connects and does the handshake. A daemon of another protocol version is refused
 * here, naming both versions, unless `allowMismatch` (kill-server works across versions).
 */
export async function openDaemon(path: string, who: Identity, options: { allowMismatch?: boolean } = {}): Promise<DaemonLink> {
  // never talk through a symlinked or shared socket dir: whoever controls it controls the peer
  if (existsSync(dirname(path))) checkPrivateDir(dirname(path));
  checkSocketPath(path);
  const conn = await connectSocket(path, { directReads: true });
  try {
    conn.send({ type: 'hello', version: PROTOCOL_VERSION, caps: [...CLIENT_CAPABILITIES], deviceId: who.deviceId, clientName: who.clientName });
    const ack = await conn.expect('hello-ack', HELLO_TIMEOUT_MS);
    if (ack.version !== PROTOCOL_VERSION && options.allowMismatch !== true) {
      throw new GrittyError(
        'version-mismatch',
        `the gritty server on ${path} speaks protocol ${ack.version}, this client ${PROTOCOL_VERSION}; upgrade one side, or stop the old server with gritty kill-server`,
      );
    }
    return { conn, ack };
  } catch (err) {
    conn.close();
    if (err instanceof GrittyError && err.code === 'connection-lost') {
      throw new GrittyError('server-gone', `the gritty server behind ${path} closed the connection without answering`, { cause: err });
    }
    throw err;
  }
}

/** One request, one reply: list, kill-session, rename, kill-server, new -d. */
export async function request<T extends 'ok' | 'sessions' | 'created'>(
  link: DaemonLink,
  msg: Parameters<Connection['send']>[0],
  reply: T,
  timeoutMs = HELLO_TIMEOUT_MS,
): Promise<MessageOf<T>> {
  try {
    link.conn.send(msg);
    return await link.conn.expect(reply, timeoutMs);
  } finally {
    link.conn.close();
  }
}
