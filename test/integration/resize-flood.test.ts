import { expect, test } from 'vitest';
import { rssKiB } from '../helpers/processes.js';
import { RawClient, attachRaw, createSession } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/**
 * A flood of resize frames costs the daemon little, and not for good. Each resize once
 * went to the screen emulator on its own: 100 000 of them between 80x24 and 300x100
 * queued ~30 s of work in front of the worker and took the daemon from 57 to 160-180 MB.
 * Now only a real change reaches the emulator, and a burst between two outputs is one.
 */
const RESIZE_FRAMES = 100_000;
/**
 * What the flood may add to the daemon's RSS. Receiving 100 000 frames alone grows the
 * main thread's V8 heap (its young generation grows to its maximum under the allocation
 * rate) and the allocator's arenas: ~30 MiB measured, with the emulator resized only a
 * few hundred times. Twice that is the bound; the flood cost 100-125 MiB before.
 */
const RSS_GROWTH_BOUND_KIB = 64 * 1024;
/** A worker still 30 s behind (as before) is a failure too, but by the RSS it holds, not by time. */
const SNAPSHOT_PATIENCE_MS = 120_000;

const server = sharedServer();

test('100 000 resize frames between two sizes leave the daemon within 64 MiB of where it was', async () => {
  const { world } = server;
  const { client: hello, ack } = await RawClient.open(world.ctlSocket);
  hello.close();
  await createSession(world.ctlSocket, { name: 'flood', command: 'exec cat', cols: 80, rows: 24 });
  const { client } = await attachRaw(world.ctlSocket, 'flood', { cols: 80, rows: 24 });
  server.track(client);
  const before = rssKiB(ack.pid);

  for (let i = 0; i < RESIZE_FRAMES; i++) client.send(i % 2 === 0 ? { type: 'resize', cols: 300, rows: 100 } : { type: 'resize', cols: 80, rows: 24 });
  // the daemon has read every frame once it answers a ping sent after them
  client.send({ type: 'ping', ts: 1 });
  await client.until('pong', SNAPSHOT_PATIENCE_MS);
  // and the emulator has applied every resize once it answers a repaint
  client.send({ type: 'repaint' });
  await client.until('snapshot', SNAPSHOT_PATIENCE_MS);

  const grown = rssKiB(ack.pid) - before;
  expect(grown).toBeLessThan(RSS_GROWTH_BOUND_KIB);
}, 3 * SNAPSHOT_PATIENCE_MS);
