import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { MIN_TERMINAL_DIMENSION } from '../../src/relay/messages.js';
import { GRITTY_BIN } from '../helpers/daemon.js';
import { OutputTracker, RawClient, listSessions } from '../helpers/protocol.js';
import { sharedServer } from '../helpers/server-world.js';
import { waitFor } from '../helpers/wait.js';

/** Sizes and directories a client sends are checked: a 0x0 terminal is raised to the minimum, a missing cwd refused by name. */
const server = sharedServer();

async function open(): Promise<RawClient> {
  const { client } = await RawClient.open(server.world.ctlSocket);
  server.track(client);
  return client;
}

function spec(extra: Record<string, unknown>): Record<string, unknown> {
  return { env: { TERM: 'xterm-256color' }, cols: 80, rows: 24, ...extra };
}

test('a 0x0 terminal is raised to the minimum size, for the PTY and the listing alike', async () => {
  const client = await open();
  client.send({ type: 'new', spec: spec({ name: 'tiny', command: 'stty size; cat', cols: 0, rows: 0 }), attach: true });
  const attached = await client.expect('attached');
  expect([attached.session.cols, attached.session.rows]).toEqual([MIN_TERMINAL_DIMENSION, MIN_TERMINAL_DIMENSION]);
  const output = new OutputTracker(attached.offset);
  await output.readUntil(client, (text) => /\d+ \d+\r\n/.test(text));
  expect(output.text()).toContain(`${MIN_TERMINAL_DIMENSION} ${MIN_TERMINAL_DIMENSION}\r\n`);

  const sizeListed = async (): Promise<string> => {
    const s = (await listSessions(server.world.ctlSocket)).find((x) => x.name === 'tiny')!;
    return `${s.cols}x${s.rows}`;
  };
  client.send({ type: 'resize', cols: 10, rows: 5 });
  await waitFor(async () => (await sizeListed()) === '10x5', { what: 'the resize to 10x5' });
  client.send({ type: 'resize', cols: 0, rows: 0 });
  const min = `${MIN_TERMINAL_DIMENSION}x${MIN_TERMINAL_DIMENSION}`;
  await waitFor(async () => (await sizeListed()) === min, { what: `a resize to 0x0 to list as ${min}`, describe: sizeListed });
});

test.each([
  ['a directory that does not exist', '/nonexistent/gritty-test-dir', /cannot start the session in \/nonexistent\/gritty-test-dir: no such directory/],
  ['a relative path', 'some/dir', /cannot start the session in some\/dir: not an absolute path/],
])('new with %s as cwd is refused with spawn-failed naming it, and no session is made', async (_what, cwd, message) => {
  const client = await open();
  client.send({ type: 'new', spec: spec({ name: 'nowhere', command: 'cat', cwd }), attach: false });
  const error = await client.expect('error');
  expect(error.code).toBe('spawn-failed');
  expect(error.message).toMatch(message);
  expect((await listSessions(server.world.ctlSocket)).map((s) => s.name)).not.toContain('nowhere');
});

test('attach -c with a cwd that is a file is refused the same way', async () => {
  const file = join(server.world.root, 'a-file');
  writeFileSync(file, '');
  const client = await open();
  client.send({ type: 'attach', target: 'filecwd', cols: 80, rows: 24, create: spec({ command: 'cat', cwd: file }), repaint: false });
  const error = await client.expect('error');
  expect(error.code).toBe('spawn-failed');
  expect(error.message).toContain(`cannot start the session in ${file}: not a directory`);
});

test('gritty new run from a directory that was deleted says so, naming it, and exits 1', () => {
  const gone = join(server.world.root, 'gone');
  mkdirSync(gone);
  const r = spawnSync('/bin/sh', ['-c', `cd '${gone}' && rmdir '${gone}' && exec '${process.execPath}' '${GRITTY_BIN}' new -d -c cat local:orphan`], {
    env: server.world.env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`gritty: cannot start the session in ${gone}: no such directory; cd to an existing directory and try again\n`);
  expect(r.status).toBe(1);
});
