import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, readdir, readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runReceiver } from '../../../src/forward/transfer/receiver.js';
import { runSender } from '../../../src/forward/transfer/sender.js';
import { exitOf } from '../../helpers/wait.js';
import { RecordingEvents, SocketLink, tempDir } from './link.js';

const PEER = fileURLToPath(new URL('./peer.mjs', import.meta.url));
const KIB = 1024;
/** The destination's whole size: the 4 MiB file cannot fit, the 100 KiB earlier copy does. */
const TMPFS_BYTES = 1024 * KIB;
const FILE_BYTES = 4096 * KIB;
const EARLIER_BYTES = 100 * KIB;

let work: Awaited<ReturnType<typeof tempDir>>;
let source: string;
const earlier = randomFillSync(Buffer.alloc(EARLIER_BYTES));

beforeAll(async () => {
  work = await tempDir('disk-full');
  source = join(work.path, 'big.bin');
  await writeFile(source, randomFillSync(Buffer.alloc(FILE_BYTES)));
});
afterAll(async () => {
  await work.remove();
});

function canMount(): boolean {
  return process.getuid?.() === 0;
}

describe.skipIf(!canMount())('a destination disk that fills (a 1 MiB tmpfs; needs root)', () => {
  let mountpoint: string;

  beforeAll(async () => {
    mountpoint = join(work.path, 'small');
    await mkdir(mountpoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', mountpoint]);
  });
  afterAll(() => {
    execFileSync('umount', [mountpoint]);
  });

  test('stops with an error naming the file and the free space; the target is untouched and the temporary gone', async () => {
    await writeFile(join(mountpoint, 'big.bin'), earlier);
    const freeBefore = (await statfs(mountpoint)).bavail;
    const link = await SocketLink.open(work.path);
    const [sender, receiver] = await Promise.all([
      runSender({ stream: link.connected, source: { kind: 'paths', paths: [source], recursive: false }, events: new RecordingEvents() }),
      runReceiver({ stream: link.accepted, target: { kind: 'dir', dir: mountpoint }, events: new RecordingEvents() }),
    ]).finally(() => link.close());

    expect(receiver.error?.code).toBe('disk-full');
    expect(receiver.error?.message).toMatch(/^no space left on the disk while writing big\.bin in .*small; \d+(\.\d)? (B|KiB) free there\. Free some space \(or receive elsewhere\) and send again; the target was left untouched$/);
    expect(sender.error?.message).toMatch(/the receiver stopped the transfer \(disk-full\): no space left on the disk while writing big\.bin/);
    expect([sender.status, receiver.status]).toEqual([1, 1]);
    expect(await readdir(mountpoint)).toEqual(['big.bin']);
    expect((await readFile(join(mountpoint, 'big.bin'))).equals(earlier)).toBe(true);
    expect((await statfs(mountpoint)).bavail).toBe(freeBefore);
  });
});

describe('a receiver over its file size limit (ulimit -f, through prlimit)', () => {
  test('stops with an error that names the limit; the target is untouched and the temporary gone', async () => {
    const dest = join(work.path, 'limited');
    await mkdir(dest);
    await writeFile(join(dest, 'big.bin'), earlier);
    const listener = await SocketLink.listen(work.path);
    const accepted = listener.next();
    const child = spawn('prlimit', [`--fsize=${TMPFS_BYTES}`, process.execPath, PEER, 'receive', listener.path, dest], { stdio: ['ignore', 'inherit', 'pipe'] });
    let childOut = '';
    child.stderr.on('data', (chunk: Buffer) => (childOut += chunk.toString()));
    const stream = await accepted;
    const sender = await runSender({ stream, source: { kind: 'paths', paths: [source], recursive: false }, events: new RecordingEvents() });
    stream.destroy();
    listener.server.close();

    expect(await exitOf(child)).toBe(1);
    const receiver = JSON.parse(childOut) as { status: number; error: string };
    expect(receiver.error).toMatch(/^the file is larger than this process may write \(ulimit -f\) while writing big\.bin in .*limited; .* free there\. Free some space \(or receive elsewhere\) and send again/);
    expect(sender.error?.message).toMatch(/the receiver stopped the transfer \(disk-full\)/);
    expect(await readdir(dest)).toEqual(['big.bin']);
    expect((await readFile(join(dest, 'big.bin'))).equals(earlier)).toBe(true);
  });
});
