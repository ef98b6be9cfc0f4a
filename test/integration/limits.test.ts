import { expect, test } from 'vitest';
import { MAX_TERMINAL_DIMENSION } from '../../src/relay/messages.js';
import { rssKiB } from '../helpers/processes.js';
import { RawClient, attachRaw, listSessions } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/** What a client can ask of the daemon is bounded: a huge terminal does not cost a huge daemon. */
const server = sharedServer();

test('a 10 000 x 10 000 terminal is clamped, and the daemon stays small after creating, resizing and repainting it', async () => {
  const { client, ack } = await RawClient.open(server.world.ctlSocket);
  server.track(client);
  const before = rssKiB(ack.pid);
  client.send({ type: 'new', spec: { name: 'huge', command: 'cat', env: {}, cols: 10_000, rows: 10_000 }, attach: false });
  const created = await client.expect('created');
  expect([created.session.cols, created.session.rows]).toEqual([MAX_TERMINAL_DIMENSION, MAX_TERMINAL_DIMENSION]);

  const { client: viewer, attached } = await attachRaw(server.world.ctlSocket, 'huge', { cols: 9_999, rows: 9_999, repaint: true });
  server.track(viewer);
  expect(attached.session.cols).toBe(MAX_TERMINAL_DIMENSION);
  await viewer.until('snapshot');
  viewer.send({ type: 'resize', cols: 10_000, rows: 10_000 });
  viewer.send({ type: 'repaint' });
  await viewer.until('snapshot');

  const session = (await listSessions(server.world.ctlSocket)).find((s) => s.name === 'huge')!;
  expect([session.cols, session.rows]).toEqual([MAX_TERMINAL_DIMENSION, MAX_TERMINAL_DIMENSION]);
  // unclamped, one such screen cost the daemon more than 1 GB
  expect(rssKiB(ack.pid) - before).toBeLessThan(128 * 1024);
});
