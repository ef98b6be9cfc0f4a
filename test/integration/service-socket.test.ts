import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import { RawClient, createSession, listSessions, waitFor } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';

/**
 * GRITTY_SOCK is the session's own service socket: helpers inside the session reach the
 * laptop through it, and nothing else of the daemon. Before, it was the daemon's control
 * socket, so any process in any session could kill the server or take over other sessions.
 */
const server = sharedServer();

function serviceSocketOf(id: string): string {
  return join(dirname(server.world.ctlSocket), `svc-${id}.sock`);
}

async function ask(path: string, request: unknown): Promise<{ code: string; message: string } | 'ok'> {
  const { client } = await RawClient.open(path);
  server.track(client);
  client.send(request);
  const reply = await client.next();
  if (reply?.type === 'ok') return 'ok';
  if (reply?.type === 'error') return { code: reply.code, message: reply.message };
  throw new Error(`unexpected reply ${JSON.stringify(reply?.type)}`);
}

test('each session has its own 0600 service socket, removed when the session ends', async () => {
  const session = await createSession(server.world.ctlSocket, { name: 'svc', command: 'sleep 1000' });
  const path = serviceSocketOf(session.id);
  await waitFor(() => existsSync(path), { what: 'the service socket' });
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(statSync(path).isSocket()).toBe(true);
  expect(await ask(server.world.ctlSocket, { type: 'kill-session', target: 'svc' })).toBe('ok');
  await waitFor(() => !existsSync(path), { what: 'the service socket to go with its session' });
});

test('the service socket refuses every control request: no kill-server, no list, no attach to another session', async () => {
  const mine = await createSession(server.world.ctlSocket, { name: 'mine', command: 'sleep 1000' });
  await createSession(server.world.ctlSocket, { name: 'other', command: 'sleep 1000' });
  const path = serviceSocketOf(mine.id);
  await waitFor(() => existsSync(path), { what: 'the service socket' });
  for (const request of [{ type: 'kill-server' }, { type: 'list' }, { type: 'attach', target: 'other', cols: 80, rows: 24, repaint: false }]) {
    const answer = await ask(path, request);
    expect(answer).toEqual({ code: 'bad-message', message: expect.stringMatching(/service socket takes only svc-channel/) });
  }
  expect((await listSessions(server.world.ctlSocket)).map((s) => s.name).sort()).toEqual(expect.arrayContaining(['mine', 'other']));
});

test('a channel of a kind helpers may not open, or with no client attached, is refused with the reason', async () => {
  const session = await createSession(server.world.ctlSocket, { name: 'alone', command: 'sleep 1000' });
  const path = serviceSocketOf(session.id);
  await waitFor(() => existsSync(path), { what: 'the service socket' });
  expect(await ask(path, { type: 'svc-channel', kind: 'agent', params: {} })).toEqual({
    code: 'channel-refused',
    message: "no agent channels through a session's service socket",
  });
  expect(await ask(path, { type: 'svc-channel', kind: 'open-url', params: { url: 'https://example.com/' } })).toEqual({
    code: 'channel-refused',
    message: 'no client is attached to session alone',
  });
  // lf connections are the daemon's own (it listens for gritty lf): a helper cannot open one itself
  expect(await ask(path, { type: 'svc-channel', kind: 'lf-conn', params: { target: 5432 } })).toEqual({
    code: 'channel-refused',
    message: "no lf-conn channels through a session's service socket",
  });
  expect(await ask(path, { type: 'svc-channel', kind: 'lf-listen', params: { listen: 0, target: 5432 } })).toEqual({
    code: 'channel-refused',
    message: 'bad channel params: field listen: expected a port 1-65535, got 0',
  });
});
