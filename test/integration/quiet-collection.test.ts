import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { createSession, listSessions } from '../helpers/protocol.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A daemon started as `gritty new` starts one gives back the garbage a burst of
 * requests left once it goes quiet (server/quiet-collector.ts), and loses nothing.
 */
let world: GrittyEnv | undefined;
afterEach(() => {
  world?.cleanup();
  world = undefined;
});

/** Enough sessions to grow the daemon's heap well past the collector's 1 MiB threshold (~50 KiB each). */
const BURST = 40;
const COLLECTED = /collected garbage once quiet: heap (\d+\.\d) → (\d+\.\d) MiB/;
const COLLECTED_ALL = new RegExp(COLLECTED.source, 'g');

test('after a burst of new sessions the daemon collects its garbage, and every session is still there', { timeout: 120_000 }, async () => {
  world = makeGrittyEnv();
  const first = world.run(['--verbose', 'new', '-d', '-c', 'cat', 'local:first']);
  expect(first.status, first.stderr).toBe(0);
  await Promise.all(Array.from({ length: BURST }, () => createSession(world!.ctlSocket, { command: 'cat', timeoutMs: 60_000 })));

  const log = join(world.root, 'state', 'gritty', 'daemon.log');
  const [, before, after] = await waitFor(() => COLLECTED.exec(readFileSync(log, 'utf8')) ?? undefined, {
    timeoutMs: 30_000,
    what: 'the daemon to log a collection',
    describe: () => readFileSync(log, 'utf8').split('\n').slice(-10).join('\n'),
  });
  expect(Number(after)).toBeLessThan(Number(before));
  expect(await listSessions(world.ctlSocket)).toHaveLength(BURST + 1);
});

test('sessions made after the first collection earn another once quiet, though the heap grew far less than 1 MiB', { timeout: 120_000 }, async () => {
  world = makeGrittyEnv();
  const first = world.run(['--verbose', 'new', '-d', '-c', 'cat', 'local:first']);
  expect(first.status, first.stderr).toBe(0);
  const log = join(world.root, 'state', 'gritty', 'daemon.log');
  const collections = () => [...readFileSync(log, 'utf8').matchAll(COLLECTED_ALL)];
  const describe = () => readFileSync(log, 'utf8').split('\n').slice(-10).join('\n');
  await waitFor(() => collections().length >= 1 || undefined, { timeoutMs: 30_000, what: "the daemon's first collection", describe });

  await Promise.all([1, 2].map(() => createSession(world!.ctlSocket, { command: 'cat', timeoutMs: 60_000 })));
  const [, before] = await waitFor(() => collections().at(1) ?? undefined, { timeoutMs: 30_000, what: 'a collection after the new sessions', describe });
  const [, , firstAfter] = collections()[0]!;
  expect(Number(before) - Number(firstAfter), 'the heap grew by less than the 1 MiB that other requests need').toBeLessThan(1);
  expect(await listSessions(world.ctlSocket)).toHaveLength(3);
});
