import { expect, test } from 'vitest';
import { OutputTracker, RawClient, attachRaw, createSession } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/** One daemon holding 200 sessions stays correct and responsive. */
const SESSIONS = 200;
/**
 * How long one of 200 requests made at once may wait for its session. Spawns take
 * their turn one per event-loop turn (SessionTable.spawnTurn); each is a fork that
 * took 30-450 ms on a loaded 2-core machine, so the last of 200 can wait a minute.
 */
const CREATE_TIMEOUT_MS = 90_000;
const server = sharedServer();

test(`${SESSIONS} sessions made at once get distinct names, all listed, and a fresh attach still works`, { timeout: 180_000 }, async () => {
  const created = await Promise.all(Array.from({ length: SESSIONS }, () => createSession(server.world.ctlSocket, { command: 'cat', timeoutMs: CREATE_TIMEOUT_MS })));
  expect(new Set(created.map((s) => s.name)).size).toBe(SESSIONS);
  expect(new Set(created.map((s) => s.id)).size).toBe(SESSIONS);
  // unnamed sessions take the smallest free numbers: exactly 0..199
  expect(created.map((s) => Number(s.name)).sort((a, b) => a - b)).toEqual(Array.from({ length: SESSIONS }, (_, i) => i));

  const listed = server.world.run(['ls', '--json', 'local']);
  expect(listed.status, listed.stderr).toBe(0);
  const rows = JSON.parse(listed.stdout) as { name: string; id: string; pid: number; attached: boolean }[];
  expect(rows).toHaveLength(SESSIONS);
  expect(new Set(rows.map((r) => r.name)).size).toBe(SESSIONS);
  expect(new Set(rows.map((r) => r.pid)).size).toBe(SESSIONS);
  expect(rows.every((r) => !r.attached)).toBe(true);

  // responsive: attach to the last one made and get cat's echo back
  const last = created[created.length - 1]!;
  const attach = await attachRaw(server.world.ctlSocket, last.name);
  const client = server.track(attach.client);
  const echo = new OutputTracker(attach.attached.offset);
  client.send({ type: 'input', data: Buffer.from('still-here\r') });
  await echo.readUntil(client, (text) => text.split('still-here\r\n').length >= 3, 10_000);

  // a new session on top gets the next number
  expect((await createSession(server.world.ctlSocket, { command: 'cat' })).name).toBe(String(SESSIONS));
});
