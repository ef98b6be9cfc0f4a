import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { OutputTracker, RawClient, listSessions, waitFor } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/** ring-buffer-size in the laptop's config sizes the history of sessions it creates. */
const server = sharedServer();

/** Everything the session's ring still holds, read by a tail from history: its first offset and its bytes. */
async function history(name: string): Promise<{ start: number; bytes: number }> {
  const { client } = await RawClient.open(server.world.ctlSocket);
  server.track(client);
  client.send({ type: 'tail', target: name, from: 'history' });
  const attached = await client.expect('attached');
  const end = (await listSessions(server.world.ctlSocket)).find((s) => s.name === name)!.offset;
  const tracker = new OutputTracker(attached.offset);
  await tracker.readUntil(client, () => tracker.offset >= end);
  return { start: attached.offset, bytes: tracker.offset - attached.offset };
}

test('a session made with ring-buffer-size = 65536 keeps 64 KiB of history, one made without keeps the default', async () => {
  mkdirSync(join(server.world.env.XDG_CONFIG_HOME!, 'gritty'), { recursive: true });
  writeFileSync(join(server.world.env.XDG_CONFIG_HOME!, 'gritty', 'config.toml'), '[defaults]\nring-buffer-size = 65536\n');
  const made = server.world.run(['new', '-d', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; sleep 1000', 'local:small']);
  expect(made.status, made.stderr).toBe(0);
  await waitFor(async () => ((await listSessions(server.world.ctlSocket)).find((s) => s.name === 'small')?.offset ?? 0) >= 300_000, { what: 'the output' });
  const small = await history('small');
  expect(small.bytes).toBe(64 * 1024);
  expect(small.start).toBeGreaterThan(0);

  writeFileSync(join(server.world.env.XDG_CONFIG_HOME!, 'gritty', 'config.toml'), '');
  expect(server.world.run(['new', '-d', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; sleep 1000', 'local:big']).status).toBe(0);
  await waitFor(async () => ((await listSessions(server.world.ctlSocket)).find((s) => s.name === 'big')?.offset ?? 0) >= 300_000, { what: 'the output' });
  const big = await history('big');
  expect(big.start).toBe(0);
  expect(big.bytes).toBeGreaterThanOrEqual(300_000);
});
