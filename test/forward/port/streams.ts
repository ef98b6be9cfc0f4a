import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What crossed a connection: byte count and sha256, so "nothing lost" is checked both ways. */
export interface Tally {
  bytes: number;
  sha256: string;
}

const CHUNK_BYTES = 64 * 1024;

/** Writes `total` random bytes with backpressure, then ends; resolves with what was sent. */
export async function sendRandom(socket: Socket, total: number): Promise<Tally> {
  const hash = createHash('sha256');
  let sent = 0;
  while (sent < total) {
    const chunk = randomBytes(Math.min(CHUNK_BYTES, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  return { bytes: sent, sha256: hash.digest('hex') };
}

/** Reads to EOF; resolves with what arrived. */
export function receiveAll(socket: Socket): Promise<Tally> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    socket.once('error', reject);
  });
}

/** A TCP server on 127.0.0.1 (an ephemeral port unless given), tracking its sockets so a test can close it for sure. */
export async function tcpServer(onConnection: (socket: Socket) => void, port = 0): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const probe = await tcpServer(() => {});
  await probe.close();
  return probe.port;
}

/** Whether something listens on 127.0.0.1:port, found by trying to bind it (a connecting probe would be traffic). */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}
