// A transfer peer in a process of its own, so a test can kill -9 it mid-transfer or
// give it real pipes. Runs the built modules (npm run build first):
//   node peer.mjs send|receive|send-stdin|receive-stdout SOCKET [PATH]
// The result goes to stderr as one JSON line: stdout may carry the data.
import { createConnection } from 'node:net';
import { once } from 'node:events';

const [role, socketPath, path] = process.argv.slice(2);
const dist = new URL('../../../dist/src/forward/transfer/', import.meta.url);
const { SILENT_EVENTS } = await import(new URL('events.js', dist).href);
const { runSender } = await import(new URL('sender.js', dist).href);
const { runReceiver } = await import(new URL('receiver.js', dist).href);
const socket = createConnection(socketPath);
await once(socket, 'connect');
const events = SILENT_EVENTS;
const result = {
  send: () => runSender({ stream: socket, source: { kind: 'paths', paths: [path], recursive: false }, events }),
  'send-stdin': () => runSender({ stream: socket, source: { kind: 'stdin', input: process.stdin }, events }),
  receive: () => runReceiver({ stream: socket, target: { kind: 'dir', dir: path }, events }),
  'receive-stdout': () => runReceiver({ stream: socket, target: { kind: 'stdout', output: process.stdout }, events }),
}[role]();
const { status, error, bytes } = await result;
socket.destroy();
process.stderr.write(`${JSON.stringify({ status, bytes, error: error?.message })}\n`);
process.exitCode = status;
