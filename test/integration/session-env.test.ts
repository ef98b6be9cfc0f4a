import { dirname, join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { OutputTracker, RawClient } from '../helpers/protocol.js';

let world: GrittyEnv | undefined;
const opened: RawClient[] = [];

afterAll(() => {
  for (const client of opened) client.close();
  world?.cleanup();
});

test('a session started by a daemon that runs inside tmux and screen gets none of their variables, but the client terminal settings and its own GRITTY_*', async () => {
  world = makeGrittyEnv();
  Object.assign(world.env, {
    TMUX: '/tmp/tmux-0/default,1,0',
    TMUX_PANE: '%7',
    STY: '99.pts-1.host',
    LC_ALL: 'C',
    SSH_CONNECTION: '127.0.0.1 50000 127.0.0.1 22',
    SSH_AUTH_SOCK: '/tmp/ssh-gone/agent.1',
    TERM_PROGRAM: 'vscode',
    GRITTY_TEST_MARK: 'daemon-env',
  });
  const started = world.run(['server']);
  expect(started.status, started.stderr).toBe(0);

  const { client } = await RawClient.open(world.ctlSocket);
  opened.push(client);
  client.send({
    type: 'new',
    spec: { name: 'envy', command: 'env; echo END-OF-ENV; exec cat', env: { TERM: 'xterm-kitty', LANG: 'de_DE.UTF-8', LC_TIME: 'en_GB.UTF-8', TMUX: 'from-client' }, cols: 80, rows: 24 },
    attach: true,
  });
  const attached = await client.until('attached');
  const session = attached.msg.session;
  const out = new OutputTracker(attached.msg.offset);
  await out.readUntil(client, (text) => text.includes('END-OF-ENV\r\n'));
  const env = new Map(out.text().split('\r\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  for (const key of ['TMUX', 'TMUX_PANE', 'STY', 'LC_ALL', 'SSH_CONNECTION', 'TERM_PROGRAM']) expect(env.has(key), `${key} leaked into the session`).toBe(false);
  expect(env.get('TERM')).toBe('xterm-kitty');
  expect(env.get('LANG')).toBe('de_DE.UTF-8');
  expect(env.get('LC_TIME')).toBe('en_GB.UTF-8');
  expect(env.get('GRITTY_SOCK')).toBe(join(dirname(world.ctlSocket), `svc-${session.id}.sock`));
  expect(env.get('GRITTY_SESSION')).toBe(session.id);
  // the daemon's own SSH_AUTH_SOCK is replaced by the session's stable agent socket
  expect(env.get('SSH_AUTH_SOCK')).toBe(join(dirname(world.ctlSocket), `agent-${session.id}.sock`));
  expect(env.get('GRITTY_SESSION_NAME')).toBe('envy');
  // the rest of the daemon's environment is kept
  expect(env.get('GRITTY_TEST_MARK')).toBe('daemon-env');
});
