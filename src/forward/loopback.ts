import { createConnection, createServer, type OnReadOpts, type Server, type Socket } from 'node:net';
import { GrittyError } from '../relay/errors.js';
import type { Port } from './params.js';

/** The only addresses forwarding ever binds or connects to: the machine's own loopback. */
export type LoopbackHost = '127.0.0.1' | '::1';

const CONNECT_TIMEOUT_MS = 5_000; // loopback answers in microseconds; this only bounds a wedged stack

/**
 * The one place in forwarding that binds TCP ports: loopback only, by type. A busy
 * port is a `port-busy` GrittyError; `where` says whose loopback for the message.
 */
export async function listenLoopback(host: LoopbackHost, port: Port, where: string, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const label = host === '::1' ? `[::1]:${port}` : `${host}:${port}`;
      if (err.code === 'EADDRINUSE') reject(new GrittyError('port-busy', `port ${port} is already in use on ${where} (${label}); stop what uses it or pick another port`, { cause: err }));
      else if (err.code === 'EACCES') reject(new GrittyError('port-busy', `not allowed to listen on ${label} on ${where} (ports below 1024 need privileges); pick a port above 1023`, { cause: err }));
      else reject(new GrittyError('port-busy', `cannot listen on ${label} on ${where}: ${err.message}`, { cause: err }));
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      // a failed accept (EMFILE) loses that one connection; the listener carries on
      server.on('error', () => {});
      resolve();
    });
  });
  return server;
}

/** Connects to host:port on this machine's loopback; rejects with the system's error. `onread`: net's, for reads into a reused buffer. */
export function connectLoopback(host: LoopbackHost, port: Port, onread?: OnReadOpts): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port, allowHalfOpen: true, onread });
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Closes a listener and resolves once it no longer accepts. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
