import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, statfsSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { GRITTY_BIN } from '../../helpers/daemon.js';
import { processesWithEnv } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait.js';
import { TransferScene, bytesIn, randomFile, sha256 } from './transfer-scene.js';

/**
 * gritty send / receive through the real CLI on both sides, where it can go wrong:
 * trees with modes and symlinks, either side killed, a disk that fills, and a hostile
 * sender writing raw records. The laptop is the side to protect, so it receives.
 */
let scene: TransferScene | undefined;
const mounts: string[] = [];
afterEach(() => {
  for (const mount of mounts.splice(0)) execFileSync('umount', ['-l', mount]);
  scene?.cleanup();
  scene = undefined;
});

const MIB = 1 << 20;
const HOSTILE_SENDER = fileURLToPath(new URL('./hostile-sender.mjs', import.meta.url));

interface Entry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size?: number;
  mtimeMs?: number;
}

/** Everything under `root`, by relative path, without following a symlink. */
function listTree(root: string, at = ''): Map<string, Entry> {
  const found = new Map<string, Entry>();
  for (const name of readdirSync(join(root, at)).sort()) {
    const rel = at === '' ? name : `${at}/${name}`;
    const info = lstatSync(join(root, rel));
    const type = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'dir' : 'file';
    found.set(rel, { type, mode: info.mode & 0o7777, ...(type === 'file' ? { size: info.size } : {}), mtimeMs: info.mtimeMs });
    if (type === 'dir') for (const [below, entry] of listTree(root, rel)) found.set(below, entry);
  }
  return found;
}

test('send -r of a tree from the session keeps its shape, modes and mtimes, drops setuid/setgid, skips and reports symlinks, announces a replacement', async () => {
  scene = await TransferScene.start();
  const MTIME = new Date('2021-03-04T05:06:07.000Z');
  const origin = scene.dir('origin');
  const tree = join(origin, 'tree');
  const outside = scene.dir('outside');
  writeFileSync(join(outside, 'secret-outside.txt'), 'must never travel\n');
  const files: Record<string, { data: string; mode: number }> = {
    'a.txt': { data: 'alpha\n', mode: 0o640 },
    'bin/run.sh': { data: '#!/bin/sh\necho hi\n', mode: 0o755 },
    'bin/suid-tool': { data: '#!/bin/sh\nid\n', mode: 0o4755 },
    'deep/er/est/f.txt': { data: 'deep\n', mode: 0o644 },
    'empty.txt': { data: '', mode: 0o644 },
    secret: { data: 'key\n', mode: 0o600 },
  };
  const dirs: Record<string, number> = { '': 0o755, bin: 0o711, deep: 0o755, 'deep/er': 0o755, 'deep/er/est': 0o700, 'empty-dir': 0o750, shared: 0o2775 };
  for (const [dir, mode] of Object.entries(dirs)) {
    mkdirSync(join(tree, dir), { recursive: true });
    chmodSync(join(tree, dir), mode);
  }
  for (const [name, { data, mode }] of Object.entries(files)) {
    writeFileSync(join(tree, name), data);
    chmodSync(join(tree, name), mode);
  }
  symlinkSync('a.txt', join(tree, 'inside-link'));
  symlinkSync(join(outside, 'secret-outside.txt'), join(tree, 'deep/outside-link'));
  symlinkSync(outside, join(tree, 'escape-dir'));
  for (const path of [...Object.keys(files), ...Object.keys(dirs)].sort().reverse()) utimesSync(join(tree, path), MTIME, MTIME);

  const into = scene.dir('into');
  mkdirSync(join(into, 'tree'));
  writeFileSync(join(into, 'tree', 'a.txt'), 'the earlier copy\n');

  const receiver = scene.onLaptop(['receive', into, '--timeout', '60']);
  await scene.waiting(receiver);
  const sender = scene.inSession('send', `cd ${origin} && ${GRITTY_BIN} send -r tree --timeout 60`);
  expect(await receiver.exit, receiver.err()).toBe(0);
  await waitFor(() => sender.status() !== undefined, { what: 'the session sender to end', timeoutMs: 30_000, describe: sender.err });
  expect(sender.status(), sender.err()).toBe(0);

  const got = listTree(join(into, 'tree'));
  const expected = new Map<string, Entry>([
    ['a.txt', { type: 'file', mode: 0o640, size: 6, mtimeMs: MTIME.getTime() }],
    ['bin', { type: 'dir', mode: 0o711, mtimeMs: MTIME.getTime() }],
    ['bin/run.sh', { type: 'file', mode: 0o755, size: files['bin/run.sh']!.data.length, mtimeMs: MTIME.getTime() }],
    ['bin/suid-tool', { type: 'file', mode: 0o755, size: files['bin/suid-tool']!.data.length, mtimeMs: MTIME.getTime() }],
    ['deep', { type: 'dir', mode: 0o755, mtimeMs: MTIME.getTime() }],
    ['deep/er', { type: 'dir', mode: 0o755, mtimeMs: MTIME.getTime() }],
    ['deep/er/est', { type: 'dir', mode: 0o700, mtimeMs: MTIME.getTime() }],
    ['deep/er/est/f.txt', { type: 'file', mode: 0o644, size: 5, mtimeMs: MTIME.getTime() }],
    ['empty-dir', { type: 'dir', mode: 0o750, mtimeMs: MTIME.getTime() }],
    ['empty.txt', { type: 'file', mode: 0o644, size: 0, mtimeMs: MTIME.getTime() }],
    ['secret', { type: 'file', mode: 0o600, size: 4, mtimeMs: MTIME.getTime() }],
    ['shared', { type: 'dir', mode: 0o775, mtimeMs: MTIME.getTime() }],
  ]);
  expect(got).toEqual(expected);
  for (const [name, { data }] of Object.entries(files)) expect(readFileSync(join(into, 'tree', name), 'utf8')).toBe(data);
  // nothing of what the symlinks point at came along, nor anything beside the tree
  expect(readdirSync(into)).toEqual(['tree']);

  for (const err of [receiver.err(), sender.err()]) {
    expect(err).toContain('skipped tree/inside-link: a symlink; symlinks are not followed or sent');
    expect(err).toContain('skipped tree/deep/outside-link: a symlink');
    expect(err).toContain('skipped tree/escape-dir: a symlink');
  }
  expect(receiver.err()).toContain('replacing tree/a.txt');
  expect(receiver.err()).toMatch(/received 6 files, .*; 3 skipped/);
  expect(sender.err()).toMatch(/sent 6 files, .*; 3 skipped/);
});

describe('a side killed with kill -9 in the middle of a 64 MiB file', () => {
  const FILE_BYTES = 64 * MIB;
  /** Well past socket buffers and the receiver's read-ahead, well short of the whole file. */
  const KILL_AT_BYTES = 8 * MIB;
  const EARLIER = 'the earlier copy, which must survive\n';

  test('the receiver (on the laptop): the sender in the session says so and exits 1; the earlier copy is intact; the hidden temporary goes with the next receive there', async () => {
    scene = await TransferScene.start();
    const source = join(scene.dir('origin'), 'big.bin');
    randomFile(source, FILE_BYTES);
    const into = scene.dir('into');
    writeFileSync(join(into, 'big.bin'), EARLIER);

    const receiver = scene.onLaptop(['receive', into, '--timeout', '60']);
    await scene.waiting(receiver);
    const sender = scene.inSession('send', `${GRITTY_BIN} send ${source} --timeout 60`);
    await waitFor(() => bytesIn(into) >= KILL_AT_BYTES, { what: 'the transfer to be under way', timeoutMs: 60_000, describe: sender.err });
    receiver.child.kill('SIGKILL');
    expect(await receiver.exit).toBe('SIGKILL');

    await waitFor(() => sender.status() !== undefined, { what: 'the session sender to end', timeoutMs: 30_000, describe: sender.err });
    expect(sender.status()).toBe(1);
    expect(sender.err()).toMatch(/^gritty: the receiver went away/m);
    expect(readFileSync(join(into, 'big.bin'), 'utf8')).toBe(EARLIER);
    // kill -9 leaves no chance to clean up: what is left is hidden, private, and names its dead owner
    const left = readdirSync(into).filter((name) => name !== 'big.bin');
    expect(left).toEqual([expect.stringMatching(new RegExp(`^\\.big\\.bin\\.gritty-${receiver.child.pid}-[0-9a-f]+\\.part$`))]);
    expect(lstatSync(join(into, left[0]!)).mode & 0o777).toBe(0o600);

    const small = join(scene.dir('origin'), 'small.txt');
    writeFileSync(small, 'next\n');
    const next = scene.onLaptop(['receive', into, '--timeout', '60']);
    await scene.waiting(next);
    const again = scene.inSession('send-again', `${GRITTY_BIN} send ${small} --timeout 60`);
    expect(await next.exit, next.err()).toBe(0);
    await waitFor(() => again.status() !== undefined, { what: 'the second sender to end', timeoutMs: 30_000, describe: again.err });
    expect(readdirSync(into).sort()).toEqual(['big.bin', 'small.txt']);
    expect(readFileSync(join(into, 'big.bin'), 'utf8')).toBe(EARLIER);
  });

  test('the sender (in the session): the receiver on the laptop says so and exits 1, leaving only the intact earlier copy', async () => {
    scene = await TransferScene.start();
    const source = join(scene.dir('origin'), 'big.bin');
    randomFile(source, FILE_BYTES);
    const into = scene.dir('into');
    writeFileSync(join(into, 'big.bin'), EARLIER);

    const receiver = scene.onLaptop(['receive', into, '--timeout', '60']);
    await scene.waiting(receiver);
    scene.inSession('send', `${GRITTY_BIN} send ${source} --timeout 60`);
    await waitFor(() => bytesIn(into) >= KILL_AT_BYTES, { what: 'the transfer to be under way', timeoutMs: 60_000, describe: receiver.err });
    const senders = processesWithEnv('XDG_RUNTIME_DIR', scene.worlds.sshd.remoteEnv.XDG_RUNTIME_DIR!).filter((p) => p.exe === 'node' && p.argv[2] === 'send');
    expect(senders).toHaveLength(1);
    process.kill(senders[0]!.pid, 'SIGKILL');

    expect(await receiver.exit).toBe(1);
    expect(receiver.err()).toMatch(/^gritty: the sender went away in the middle of .*; nothing partial was kept\. Send again/m);
    expect(readdirSync(into)).toEqual(['big.bin']);
    expect(readFileSync(join(into, 'big.bin'), 'utf8')).toBe(EARLIER);
  });
});

describe.skipIf(process.getuid?.() !== 0)('a destination disk that fills (a 2 MiB tmpfs; needs root)', () => {
  test('the receiver names the disk and its free space, the sender says why it stopped, both exit 1; the earlier copy is untouched and no temporary is left', async () => {
    scene = await TransferScene.start();
    const source = join(scene.dir('origin'), 'big.bin');
    randomFile(source, 16 * MIB);
    const small = scene.dir('small');
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${2 * MIB}`, 'tmpfs', small]);
    mounts.push(small);
    const earlier = randomFile(join(small, 'big.bin'), 100 * 1024);
    const freeBefore = statfsSync(small).bavail;

    const receiver = scene.onLaptop(['receive', small, '--timeout', '60']);
    await scene.waiting(receiver);
    const sender = scene.inSession('send', `${GRITTY_BIN} send ${source} --timeout 60`);
    expect(await receiver.exit).toBe(1);
    expect(receiver.err()).toMatch(/^gritty: no space left on the disk while writing big\.bin in .*\/small; \d+(\.\d)? (B|KiB|MiB) free there\. Free some space \(or receive elsewhere\) and send again; the target was left untouched$/m);
    await waitFor(() => sender.status() !== undefined, { what: 'the session sender to end', timeoutMs: 30_000, describe: sender.err });
    expect(sender.status()).toBe(1);
    expect(sender.err()).toMatch(/^gritty: the receiver stopped the transfer \(disk-full\): no space left on the disk while writing big\.bin/m);
    expect(readdirSync(small)).toEqual(['big.bin']);
    expect(sha256(join(small, 'big.bin'))).toBe(earlier);
    expect(statfsSync(small).bavail).toBe(freeBefore);
  });
});

describe('a hostile sender in the session writing raw records to gritty receive on the laptop', () => {
  interface HostileFile {
    path: string;
    data: string;
    mode: number;
  }

  /** Runs one hostile offer against a fresh `gritty receive` into `into`; returns the receiver's status and stderr. */
  async function offer(s: TransferScene, into: string, files: HostileFile[], name: string): Promise<{ status: number | string; err: string }> {
    const spec = join(s.laptop.root, `${name}.json`);
    writeFileSync(spec, JSON.stringify(files));
    const receiver = s.onLaptop(['receive', into, '--timeout', '60']);
    await s.waiting(receiver);
    const hostile = s.inSession(name, `${process.execPath} ${HOSTILE_SENDER} ${spec}`);
    const status = await receiver.exit;
    await waitFor(() => hostile.status() !== undefined, { what: 'the hostile sender to end', timeoutMs: 30_000, describe: hostile.err });
    return { status, err: receiver.err() };
  }

  test('absolute names, .., NUL and control characters stop the transfer; a name through a symlink is refused alone; setuid and setgid are dropped', async () => {
    scene = await TransferScene.start();
    const into = scene.dir('into');
    const outside = scene.dir('outside');
    const untouched = (): void => {
      expect(readdirSync(outside)).toEqual([]);
      expect(readdirSync(scene!.laptop.root).filter((n) => n.startsWith('evil'))).toEqual([]);
    };

    const refusals: [string, string, RegExp][] = [
      ['absolute', join(outside, 'evil'), /it is absolute/],
      ['dotdot', '../outside/evil', /"\.\." component/],
      ['dotdot-deep', 'a/../../evil', /"\.\." component/],
      ['nul', 'evil\0.txt', /it contains a NUL byte/],
      ['control', 'evil\x1b]0;owned\x07\x1b[31m', /it contains control characters/],
    ];
    for (const [name, path, why] of refusals) {
      const { status, err } = await offer(scene, into, [{ path, data: 'pwned', mode: 0o644 }], name);
      expect(status, err).toBe(1);
      expect(err).toMatch(/^gritty: refused the name ".*": /m);
      expect(err).toMatch(why);
      // the name is shown escaped: it cannot drive the laptop's terminal
      expect(err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(readdirSync(into)).toEqual([]);
      untouched();
    }

    symlinkSync(outside, join(into, 'link'));
    const routed = await offer(scene, into, [{ path: 'link/evil', data: 'pwned', mode: 0o644 }, { path: 'after.txt', data: 'fine', mode: 0o644 }], 'through-symlink');
    expect(routed.status, routed.err).toBe(1);
    expect(routed.err).toMatch(/failed link\/evil: refused the name "link\/evil": "link" in the destination is a symlink/);
    expect(readFileSync(join(into, 'after.txt'), 'utf8')).toBe('fine');
    expect(readdirSync(into).sort()).toEqual(['after.txt', 'link']);
    untouched();

    const modes = await offer(scene, into, [{ path: 'suid', data: '#!/bin/sh\n', mode: 0o4755 }, { path: 'sgid', data: '#!/bin/sh\n', mode: 0o2750 }, { path: 'sticky', data: 'x', mode: 0o1644 }], 'setuid');
    expect(modes.status, modes.err).toBe(0);
    expect(lstatSync(join(into, 'suid')).mode & 0o7777).toBe(0o755);
    expect(lstatSync(join(into, 'sgid')).mode & 0o7777).toBe(0o750);
    expect(lstatSync(join(into, 'sticky')).mode & 0o7777).toBe(0o644);
  });
});
