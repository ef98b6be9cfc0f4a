// A hostile `gritty send`, run inside a session: it pairs through the session's service
// socket (GRITTY_SOCK) as the real one does, then writes transfer records of its own
// making, raw, with nothing of the honest sender's care. Runs the built modules
// (npm run build first):
//   node hostile-sender.mjs FILES.json
// FILES.json: [{ "path": "...", "data": "...", "mode": 420 }, ...], sent as one offer.
// Prints "paired" once paired and "hostile-done" when the receiver hung up.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const dist = new URL('../../../dist/src/', import.meta.url);
const { pairInSession } = await import(new URL('client/transfer-pairing.js', dist).href);
const { encode } = await import(new URL('relay/codec.js', dist).href);
const { frameHeader } = await import(new URL('relay/frame.js', dist).href);

const files = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const MTIME_MS = 1_600_000_000_000;

function frame(record) {
  const body = encode(record);
  return Buffer.concat([frameHeader(body.length), body]);
}

const records = [{ type: 'offer', version: 1, kind: 'files', files: files.length, bytes: 0 }];
for (const { path, data, mode } of files) {
  const bytes = Buffer.from(data);
  records.push({ type: 'file', path, size: bytes.length, mode, mtime: MTIME_MS });
  if (bytes.length > 0) records.push({ type: 'data', data: bytes });
  records.push({ type: 'file-end', sha256: createHash('sha256').update(bytes).digest() });
}
records.push({ type: 'end' });

const { stream } = await pairInSession(process.env.GRITTY_SOCK, {
  request: { role: 'send', about: 'hostile' },
  who: { deviceId: 'hostile-test', clientName: 'hostile-sender' },
  timeoutMs: 60_000,
  waiting: () => undefined,
});
process.stdout.write('paired\n');
stream.on('error', () => undefined);
stream.resume();
// written, not ended: the receiver hangs up when it is done, as it does on an honest sender
stream.write(Buffer.concat(records.map(frame)));
stream.on('end', () => stream.end());
stream.on('close', () => process.stdout.write('hostile-done\n'));
