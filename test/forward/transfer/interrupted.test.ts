import { spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runReceiver } from '../../../src/forward/transfer/receiver.js';
import { runSender } from '../../../src/forward/transfer/sender.js';
import { exitOf } from '../../helpers/wait.js';
import { RecordingEvents, SocketLink, tempDir } from './link.js';

const PEER = fileURLToPath(new URL('./peer.mjs', import.meta.url));
const MIB = 1 << 20;
/** Far more than socket buffers and the receiver's read-ahead hold, so a kill at KILL_AT_BYTES is truly mid-file. */
const FILE_BYTES = 64 * MIB;
const KILL_AT_BYTES = 8 * MIB;
const EARLIER_COPY = 'the earlier copy, which must survive\n';

let work: Awaited<ReturnType<typeof tempDir>>;
let source: string;
let dest: string;
let listener: Awaited<ReturnType<typeof SocketLink.listen>> | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  work = await tempDir('interrupted');
  source = join(work.path, 'big.bin');
  await writeFile(source, randomFillSync(Buffer.allocUnsafe(FILE_BYTES)));
});
afterAll(async () => {
  await work.remove();
});
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  listener?.server.close();
  listener = undefined;
});

async function freshDest(): Promise<void> {
  dest = join(work.path, 'dest');
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest);
  await writeFile(join(dest, 'big.bin'), EARLIER_COPY);
}

/** Starts peer.mjs in `role` and returns our end of its connection. */
async function startPeer(role: 'send' | 'receive', path: string) {
  listener = await SocketLink.listen(work.path);
  const accepted = listener.next();
  child = spawn(process.execPath, [PEER, role, listener.path, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stream = await accepted;
  return { stream, child };
}

/** Kills the child the moment `bytes` moved past KILL_AT_BYTES: a synchronous kill, so the file is mid-way for sure. */
function killMidway(events: RecordingEvents, victim: ChildProcess): RecordingEvents {
  const progress = events.progress.bind(events);
  events.progress = (bytes) => {
    progress(bytes);
    if (events.progressBytes >= KILL_AT_BYTES && victim.exitCode === null && victim.signalCode === null) victim.kill('SIGKILL');
  };
  return events;
}

describe('a transfer interrupted by kill -9', () => {
  test('of the sender leaves no partial file and the earlier copy intact', async () => {
    await freshDest();
    const { stream, child: sender } = await startPeer('send', source);
    const events = killMidway(new RecordingEvents(), sender);
    const result = await runReceiver({ stream, target: { kind: 'dir', dir: dest }, events });
    stream.destroy();
    expect(await exitOf(sender)).toBe('SIGKILL');
    expect(events.progressBytes).toBeGreaterThanOrEqual(KILL_AT_BYTES);
    expect(events.progressBytes).toBeLessThan(FILE_BYTES);
    expect(result.error?.code).toBe('connection-lost');
    expect(result.error?.message).toMatch(/sender .*nothing partial was kept/);
    expect(result.status).toBe(1);
    expect(await readdir(dest)).toEqual(['big.bin']);
    expect(await readFile(join(dest, 'big.bin'), 'utf8')).toBe(EARLIER_COPY);
  });

  test('of the receiver keeps the earlier copy; its hidden 0600 temporary is swept by the next receive', async () => {
    await freshDest();
    const { stream, child: receiver } = await startPeer('receive', dest);
    const events = killMidway(new RecordingEvents(), receiver);
    const result = await runSender({ stream, source: { kind: 'paths', paths: [source], recursive: false }, events });
    stream.destroy();
    expect(await exitOf(receiver)).toBe('SIGKILL');
    expect(result.error?.code).toBe('connection-lost');
    expect(result.error?.message).toMatch(/receiver went away/);
    expect(result.status).toBe(1);
    expect(await readFile(join(dest, 'big.bin'), 'utf8')).toBe(EARLIER_COPY);

    const left = (await readdir(dest)).filter((name) => name !== 'big.bin');
    expect(left).toEqual([expect.stringMatching(new RegExp(`^\\.big\\.bin\\.gritty-${receiver.pid}-[0-9a-f]+\\.part$`))]);
    expect((await stat(join(dest, left[0]!))).mode & 0o777).toBe(0o600);

    await writeFile(join(work.path, 'next.txt'), 'next');
    const link = await SocketLink.open(work.path);
    try {
      const [sent, received] = await Promise.all([
        runSender({ stream: link.connected, source: { kind: 'paths', paths: [join(work.path, 'next.txt')], recursive: false }, events: new RecordingEvents() }),
        runReceiver({ stream: link.accepted, target: { kind: 'dir', dir: dest }, events: new RecordingEvents() }),
      ]);
      expect([sent.status, received.status]).toEqual([0, 0]);
    } finally {
      link.close();
    }
    expect((await readdir(dest)).sort()).toEqual(['big.bin', 'next.txt']);
    expect(await readFile(join(dest, 'big.bin'), 'utf8')).toBe(EARLIER_COPY);
  });
});
