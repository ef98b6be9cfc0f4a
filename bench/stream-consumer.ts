import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Reads a stream-server stream through a forwarded port, flat out. Two modes:
 *
 * - `timed PORT BYTES`: asks for BYTES once; prints `{"bytes":…,"ms":…,"cpuMs":…}` (ms from
 *   the request to the end of the stream; its own CPU time, start-up included) and exits 0 if exactly BYTES came, else 1.
 * - `flat PORT PROGRESS`: asks for a stream without end and keeps reading; writes the
 *   total byte count to the file PROGRESS every PROGRESS_STEP_BYTES. Reconnects when
 *   the connection closes (before a client is attached, the forward refuses).
 */

const PROGRESS_STEP_BYTES = 1024 * 1024;
const RECONNECT_MS = 200;

function timed(port: number, want: number): void {
  const socket = connect(port, '127.0.0.1');
  let bytes = 0;
  let start = 0;
  socket.on('connect', () => {
    start = performance.now();
    socket.write(`${want}\n`);
  });
  socket.on('data', (data: Buffer) => (bytes += data.length));
  socket.on('close', () => {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ bytes, ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
    process.exit(bytes === want ? 0 : 1);
  });
  socket.on('error', (err) => process.stderr.write(`${err.message}\n`));
}

function flat(port: number, progress: string): void {
  let bytes = 0;
  let reported = 0;
  const attempt = (): void => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => socket.write('0\n'));
    socket.on('data', (data: Buffer) => {
      bytes += data.length;
      if (bytes - reported >= PROGRESS_STEP_BYTES) {
        reported = bytes;
        writeFileSync(progress, String(bytes));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => setTimeout(attempt, RECONNECT_MS));
  };
  attempt();
}

const [mode, port, arg] = process.argv.slice(2);
if (mode === 'timed') timed(Number(port), Number(arg));
else if (mode === 'flat') flat(Number(port), arg!);
else {
  process.stderr.write('usage: stream-consumer timed PORT BYTES | flat PORT PROGRESS\n');
  process.exit(2);
}
