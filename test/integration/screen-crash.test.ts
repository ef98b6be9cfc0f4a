import { afterEach, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { OutputTracker, RawClient, attachRaw, createSession, listSessions } from '../helpers/protocol.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A screen emulator that fails never makes an attach hang: the attach goes on with a
 * one-line notice instead of a picture, the emulator starts over, and later attaches
 * get a picture again, rebuilt from the session's history. The fault is injected with
 * GRITTY_TEST_SCREEN_CRASH, which the daemon reads when it starts.
 */
const NOTICE = '[gritty] the screen could not be restored';
/** Generous on a loaded machine: nothing here waits on a timeout of the daemon's. */
const PATIENCE_MS = 20_000;

let world: GrittyEnv | undefined;
const clients: RawClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  world?.cleanup();
  world = undefined;
});

function startServer(fault: 'throw'): GrittyEnv {
  world = makeGrittyEnv();
  world.env.GRITTY_TEST_SCREEN_CRASH = fault;
  const started = world.run(['server']);
  if (started.status !== 0) throw new Error(`gritty server did not start: ${started.stderr}`);
  return world;
}

async function expectAttachSurvives(fault: 'throw'): Promise<void> {
  const { ctlSocket } = startServer(fault);
  await createSession(ctlSocket, { name: 's', command: "printf 'marker-%s\\n' $((6*7)); exec cat" });
  // the marker is in the session's history before the faulty snapshot is asked for
  await waitFor(async () => ((await listSessions(ctlSocket))[0]?.offset ?? 0) >= 'marker-42\r\n'.length, { what: 'the marker in the history' });

  const { client, attached } = await attachRaw(ctlSocket, 's', { repaint: true });
  clients.push(client);
  const snapshot = await client.expect('snapshot', PATIENCE_MS);
  expect(snapshot.data.toString('utf8')).toContain(NOTICE);
  expect(snapshot.offset).toBeGreaterThanOrEqual(attached.offset);

  // the attach is live: input reaches the session and its output comes back
  const output = new OutputTracker(snapshot.offset);
  client.send({ type: 'input', data: Buffer.from('typed-after-crash\r') });
  await output.readUntil(client, (text) => text.includes('typed-after-crash'), PATIENCE_MS);

  // the emulator started over and rebuilt the screen from the ring: pictures are back
  const picture = await waitFor(
    async () => {
      const { client: later } = await attachRaw(ctlSocket, 's', { repaint: true });
      clients.push(later);
      const shot = (await later.expect('snapshot', PATIENCE_MS)).data.toString('utf8');
      later.close();
      return shot.includes(NOTICE) ? undefined : shot;
    },
    { what: 'an attach with a picture again', timeoutMs: 2 * PATIENCE_MS },
  );
  expect(picture).toContain('marker-42');
  expect(picture).toContain('typed-after-crash');
}

test('a screen emulator that fails while an attach waits for its picture', async () => {
  await expectAttachSurvives('throw');
});
