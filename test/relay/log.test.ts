import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { LOG_CAP_BYTES, Logger } from '../../src/relay/log.js';

let root: string;

afterEach(() => rmSync(root, { recursive: true, force: true }));

function dir(): string {
  root = mkdtempSync(join(tmpdir(), 'gritty-log-'));
  return join(root, 'state', 'gritty');
}

test('a log past its cap moves to .1 and starts again, so a log never takes more than twice its cap', () => {
  const file = join(dir(), 'daemon.log');
  const log = new Logger({ file });
  const line = 'y'.repeat(1000);
  const lines = Math.ceil((LOG_CAP_BYTES * 2.5) / 1000);
  for (let i = 0; i < lines; i++) log.info(line);
  expect(existsSync(`${file}.1`)).toBe(true);
  expect(statSync(file).size).toBeLessThanOrEqual(LOG_CAP_BYTES);
  expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(LOG_CAP_BYTES);
  // nothing lost but what rotated out twice: the newest lines are all there
  const kept = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length + readFileSync(`${file}.1`, 'utf8').split('\n').filter((l) => l !== '').length;
  expect(kept).toBeGreaterThan(LOG_CAP_BYTES / 1100);
});

test('a log written for the first time gets a 0700 dir and a 0600 file; looser ones are tightened', () => {
  const d = dir();
  mkdirSync(d, { recursive: true });
  chmodSync(d, 0o755);
  const file = join(d, 'client.log');
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o644);
  new Logger({ file }).info('hello');
  expect(statSync(d).mode & 0o777).toBe(0o700);
  expect(statSync(file).mode & 0o777).toBe(0o600);
});

test('a newline in a message cannot start a fake line', () => {
  const file = join(dir(), 'daemon.log');
  new Logger({ file }).info('client a\n2026-01-01T00:00:00.000Z 1 error forged');
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/client a\\n2026/);
});

test('an existing log already over its cap is rotated before the first write', () => {
  const d = dir();
  mkdirSync(d, { recursive: true });
  const file = join(d, 'daemon.log');
  writeFileSync(file, 'z'.repeat(LOG_CAP_BYTES + 1));
  new Logger({ file }).info('fresh');
  expect(readFileSync(file, 'utf8')).toMatch(/^\S+ \d+ info fresh\n$/);
  expect(statSync(`${file}.1`).size).toBe(LOG_CAP_BYTES + 1);
});
