import { afterEach, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { isAlive } from '../helpers/processes.js';
import { RawClient, attachRaw, listSessions } from '../helpers/protocol.js';
import { waitFor } from '../helpers/wait.js';

/** kill-server ends every session the way kill-session does, and answers only once every shell is gone. */
let world: GrittyEnv | undefined;
const opened: RawClient[] = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
  world?.cleanup();
  world = undefined;
});

const STUBBORN = "trap '' HUP TERM; while :; do sleep 1; done";

test('a shell that ignores SIGHUP and SIGTERM is gone when kill-server returns, and so is the daemon', async () => {
  world = makeGrittyEnv();
  for (const name of ['stubborn', 'plain']) {
    const r = world.run(['new', '-d', '-c', name === 'stubborn' ? STUBBORN : 'cat', `local:${name}`]);
    expect(r.status, r.stderr).toBe(0);
  }
  const sessions = await listSessions(world.ctlSocket);
  const { client: attached, attached: reply } = await attachRaw(world.ctlSocket, 'stubborn');
  opened.push(attached);
  const { client: probe, ack } = await RawClient.open(world.ctlSocket);
  probe.close();
  expect(sessions.map((s) => s.name).sort()).toEqual(['plain', 'stubborn']);
  expect(reply.session.pid).toBe(sessions.find((s) => s.name === 'stubborn')!.pid);

  const r = world.run(['kill-server']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  for (const s of sessions) expect(isAlive(s.pid), `shell of ${s.name} (pid ${s.pid})`).toBe(false);
  // the attached client was told why before the daemon went
  const { msg } = await attached.until('detached');
  expect(msg.reason).toBe('server-shutdown');
  await attached.closed;
  // the daemon exits right after its answer
  await waitFor(() => !isAlive(ack.pid), { what: `the daemon (pid ${ack.pid}) to exit` });
});
