// A transfer peer in a process of its own, so a test can kill -9 it mid-transfer.
// Runs the built modules (npm run build first): node peer.mjs send|receive SOCKET PATH
import { createConnection } from 'node:net';
import { once } from 'node:events';

const [role, socketPath, path] = process.argv.slice(2);
const dist = new URL('../../../dist/src/forward/transfer/', import.meta.url);
const { SILENT_EVENTS } = await import(new URL('events.js', dist).href);
const socket = createConnection(socketPath);
await once(socket, 'connect');
const result =
  role === 'send'
    ? await (await import(new URL('sender.js', dist).href)).runSender({ stream: socket, source: { kind: 'paths', paths: [path], recursive: false }, events: SILENT_EVENTS })
    : await (await import(new URL('receiver.js', dist).href)).runReceiver({ stream: socket, target: { kind: 'dir', dir: path }, events: SILENT_EVENTS });
socket.destroy();
process.stdout.write(`${JSON.stringify({ status: result.status, error: result.error?.message })}\n`);
process.exitCode = result.status;
