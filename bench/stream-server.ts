import { createServer, type Socket } from 'node:net';

/**
 * The laptop's TCP server for the forwarding benchmarks, run as its own process so its
 * work never lands on the bench's event loop: each connection sends one decimal line,
 * the byte count it wants (0: without end), and gets that many bytes as fast as the
 * socket takes them. A connection that sends nothing (a readiness probe) gets nothing.
 * Prints its port on stdout once listening.
 */

/** One write: large enough that the server is never the bottleneck, small enough to keep backpressure prompt. */
const CHUNK_BYTES = 64 * 1024;
const chunk = Buffer.alloc(CHUNK_BYTES, 'gritty forward bench\n');

function stream(socket: Socket, bytes: number): void {
  let left = bytes === 0 ? Number.POSITIVE_INFINITY : bytes;
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= CHUNK_BYTES ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
}

const server = createServer((socket) => {
  socket.on('error', () => undefined);
  let request = '';
  const onData = (data: Buffer): void => {
    request += data.toString('latin1');
    const newline = request.indexOf('\n');
    if (newline < 0) return;
    socket.off('data', onData);
    socket.resume();
    const bytes = Number(request.slice(0, newline));
    if (!Number.isSafeInteger(bytes) || bytes < 0) socket.destroy();
    else stream(socket, bytes);
  };
  socket.on('data', onData);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
