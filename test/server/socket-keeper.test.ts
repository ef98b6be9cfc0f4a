import { lstatSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { Logger } from '../../src/relay/log.js';
import { ensurePrivateDir, socketAlive } from '../../src/relay/secure-socket.js';
import { SocketKeeper, type KeptListener } from '../../src/server/socket-keeper.js';
import { waitFor } from '../helpers/wait.js';

const SETTLE_MS = 50;
const roots: string[] = [];
const keepers: SocketKeeper[] = [];
const listeners: KeptListener[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const listener of listeners.splice(0)) listener.close();
  for (const keeper of keepers.splice(0)) keeper.stop();
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

async function kept(): Promise<{ keeper: SocketKeeper; dir: string; path: string; log: string; lost: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'gritty-keeper-'));
  roots.push(root);
  const dir = join(root, 'run', 'gritty');
  ensurePrivateDir(dir);
  const log = join(root, 'keeper.log');
  const keeper = new SocketKeeper(new Logger({ file: log }), SETTLE_MS);
  keepers.push(keeper);
  const lost: string[] = [];
  const path = join(dir, 'ctl.sock');
  listeners.push(await keeper.listen(path, (socket) => socket.end(), { onLost: (reason) => lost.push(reason) }));
  return { keeper, dir, path, log, lost };
}

function inode(path: string): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}

async function boundAgain(path: string, before: number | undefined): Promise<void> {
  await waitFor(async () => inode(path) !== undefined && inode(path) !== before && (await socketAlive(path)), { what: `${path} to be bound again` });
}

test('an idle keeper runs no checks, however long nothing changes; a deleted socket is still bound again', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
  const { keeper, path } = await kept();
  vi.advanceTimersByTime(60 * 60_000);
  expect(keeper.rounds).toBe(0);
  vi.useRealTimers();

  const before = inode(path);
  unlinkSync(path);
  await boundAgain(path, before);
  expect(keeper.rounds).toBeGreaterThan(0);
});

test('the socket dir removed twice over is made again and the socket bound again both times', async () => {
  const { dir, path, log, lost } = await kept();
  for (let time = 1; time <= 2; time++) {
    const before = inode(path);
    rmSync(dir, { recursive: true, force: true });
    await boundAgain(path, before);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
  }
  expect(lost).toEqual([]);
  expect(readFileSync(log, 'utf8').match(/ctl\.sock bound again/g)).toHaveLength(2);
});

test('a socket replaced by another file is reported lost and the file left alone', async () => {
  const { path, lost } = await kept();
  unlinkSync(path);
  // what another daemon would do in the gap: a file of its own at the path, before the keeper settles
  writeFileSync(path, 'someone else');
  await waitFor(() => lost.length > 0, { what: 'the socket to be reported lost' });
  expect(lost[0]).toMatch(/ctl\.sock was replaced by another file/);
  expect(readFileSync(path, 'utf8')).toBe('someone else');
});
