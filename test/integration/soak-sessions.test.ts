import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeServerWorld, type GrittyEnv } from '../helpers/daemon.js';
import { OutputTracker, RawClient, attachRaw, createSession } from '../helpers/protocol.js';

/**
 * Soak: 500 sessions in one daemon. With 300 running and a client attached to one of
 * them, 200 more are asked for at once; while they start, the attached client's
 * typing is echoed and `list` answers, long before the last of the 200 is made.
 */
const BASE = 300;
const STORM = 200;
/** Sessions asked for at once while the base is built: enough to be quick, few enough to spare the machine. */
const BUILD_BATCH = 50;
/** One of 200 spawns waits for all before it: 30-450 ms each on a loaded 2-core machine (see SessionTable.spawnTurn). */
const CREATE_TIMEOUT_MS = 120_000;
/** The daemon serves other connections between spawns: an echo or a list comes while most of the storm is still queued. */
const STILL_QUEUED = STORM / 2;

/** How often the attached client pings, as the real client does when idle, so the daemon does not evict it. */
const PING_EVERY_MS = 5_000;

let world: GrittyEnv;
let watcher: RawClient | undefined;
let pinger: NodeJS.Timeout | undefined;

beforeAll(() => {
  world = makeServerWorld();
});

afterAll(() => {
  clearInterval(pinger);
  watcher?.close();
  world?.cleanup();
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

test(`${BASE + STORM} sessions: while ${STORM} start at once an attached client's echo arrives and list answers`, { timeout: 300_000 }, async () => {
  for (let made = 0; made < BASE; made += BUILD_BATCH) {
    await Promise.all(range(BUILD_BATCH).map(() => createSession(world.ctlSocket, { command: 'cat', timeoutMs: CREATE_TIMEOUT_MS })));
  }
  const attach = await attachRaw(world.ctlSocket, '0');
  watcher = attach.client;
  pinger = setInterval(() => watcher?.send({ type: 'ping', ts: Date.now() }), PING_EVERY_MS);
  const echo = new OutputTracker(attach.attached.offset);

  let created = 0;
  let firstCreated!: () => void;
  const stormStarted = new Promise<void>((resolve) => (firstCreated = resolve));
  const storm = Promise.all(
    range(STORM).map(() =>
      createSession(world.ctlSocket, { command: 'cat', timeoutMs: CREATE_TIMEOUT_MS }).then((session) => {
        created++;
        firstCreated();
        return session;
      }),
    ),
  );
  await stormStarted;

  const echoed = (async () => {
    watcher!.send({ type: 'input', data: Buffer.from('mid-storm\r') });
    await echo.readUntil(watcher!, (text) => text.split('mid-storm\r\n').length >= 3, CREATE_TIMEOUT_MS);
    return STORM - created;
  })();
  const listed = (async () => {
    const { client } = await RawClient.open(world.ctlSocket);
    try {
      client.send({ type: 'list' });
      const sessions = (await client.expect('sessions', CREATE_TIMEOUT_MS)).sessions;
      return { queued: STORM - created, count: sessions.length };
    } finally {
      client.close();
    }
  })();
  const [queuedAtEcho, list] = await Promise.all([echoed, listed]);
  const made = await storm;
  console.log(`echo came with ${queuedAtEcho} of ${STORM} sessions still to make; list (${list.count} sessions) with ${list.queued}`);

  expect(queuedAtEcho).toBeGreaterThanOrEqual(STILL_QUEUED);
  expect(list.queued).toBeGreaterThanOrEqual(STILL_QUEUED);
  // the list was taken mid-storm: every base session, and not yet all of the storm's
  expect(list.count).toBeGreaterThanOrEqual(BASE);
  expect(list.count).toBeLessThan(BASE + STORM);

  expect(new Set(made.map((s) => s.name)).size).toBe(STORM);
  const since = Date.now();
  const ls = world.run(['ls', '--json', 'local'], { timeoutMs: 60_000 });
  console.log(`gritty ls --json with ${BASE + STORM} sessions took ${Date.now() - since} ms`);
  expect(ls.status, ls.stderr).toBe(0);
  const rows = JSON.parse(ls.stdout) as { name: string; pid: number }[];
  expect(rows).toHaveLength(BASE + STORM);
  expect(new Set(rows.map((r) => r.name)).size).toBe(BASE + STORM);
  expect(new Set(rows.map((r) => r.pid)).size).toBe(BASE + STORM);

  watcher.send({ type: 'input', data: Buffer.from('after-storm\r') });
  await echo.readUntil(watcher, (text) => text.split('after-storm\r\n').length >= 3, CREATE_TIMEOUT_MS);
});
