import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Logger } from '../../src/relay/log.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

test('a message with newlines and escape sequences stays one line, shown escaped', () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-log-'));
  const file = join(dir, 'daemon.log');
  const log = new Logger({ file });
  log.info('client evil\x1b[31m\n2026-01-01T00:00:00.000Z 1 info FAKE forged\u2028line attached');
  log.error('request failed', new Error('boom'));
  const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
  expect(lines).toHaveLength(2);
  for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \d+ (info|error) /);
  expect(lines[0]).toContain('client evil\\e[31m\\n2026-01-01T00:00:00.000Z 1 info FAKE forged\\u2028line attached');
  // a stack trace is kept, on the same line
  expect(lines[1]).toMatch(/request failed: Error: boom\\n {4}at /);
});
