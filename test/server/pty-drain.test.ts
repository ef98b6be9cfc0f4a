import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { spawnPty, type Pty } from '../../src/server/pty.js';
import { waitFor } from '../helpers/wait.js';

let dir: string | undefined;
let pty: Pty | undefined;
afterEach(() => {
  pty?.kill('SIGKILL');
  pty = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Numbered lines, so a lost, doubled or reordered chunk shows in the comparison. */
function numberedLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `${String(i).padStart(7, '0')} the quick brown fox\n`).join('');
}

test('a flood drained in large chunks arrives byte for byte and in order', { timeout: 60_000 }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-drain-'));
  const text = numberedLines(100_000);
  const file = join(dir, 'flood.txt');
  writeFileSync(file, text);
  // -opost: the bytes arrive as the file has them, no LF -> CR LF. The program stays:
  // node-pty may report an exit before the last output is read
  const spawned = spawnPty({ file: 'sh', args: ['-c', `stty -opost -echo; cat '${file}'; exec sleep 60`], cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' }, cols: 80, rows: 24, drainFloods: true });
  if (!spawned.ok) throw new Error(spawned.error);
  pty = spawned.pty;
  const chunks: Buffer[] = [];
  let largest = 0;
  // a drained chunk is valid only during the call: keep a copy
  let received = 0;
  spawned.pty.onData((data) => {
    chunks.push(Buffer.from(data));
    received += data.length;
    largest = Math.max(largest, data.length);
  });
  await waitFor(() => received >= text.length, { timeoutMs: 30_000, what: 'the whole file', describe: () => `${received} of ${text.length} bytes` });
  const got = Buffer.concat(chunks).toString('latin1');
  expect(got.length).toBe(text.length);
  expect(got === text).toBe(true);
  // node-pty alone hands over one read, ~4 KiB (seen: up to 12 KiB, three reads at once)
  expect(largest).toBeGreaterThan(32 * 1024);
});

test('reads land in one reused buffer, not in fresh memory each', async () => {
  const spawned = spawnPty({ file: 'sh', args: ['-c', 'stty -echo; exec cat'], cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' }, cols: 80, rows: 24, drainFloods: true });
  if (!spawned.ok) throw new Error(spawned.error);
  pty = spawned.pty;
  const reads: { text: string; memory: ArrayBufferLike }[] = [];
  pty.onData((data) => reads.push({ text: data.toString('latin1'), memory: data.buffer }));
  pty.write(Buffer.from('first\n'));
  await waitFor(() => reads.some((r) => r.text.includes('first')), { what: 'the first line' });
  pty.write(Buffer.from('second\n'));
  await waitFor(() => reads.some((r) => r.text.includes('second')), { what: 'the second line' });
  const first = reads.find((r) => r.text.includes('first'))!;
  const second = reads.find((r) => r.text.includes('second'))!;
  expect(second.memory).toBe(first.memory);
});
