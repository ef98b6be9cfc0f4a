import { describe, expect, test } from 'vitest';
import { daemonEnv } from '../../src/relay/daemon-env.js';
import { sessionEnv } from '../../src/server/session-env.js';

const base = {
  sockets: { service: '/run/user/1000/gritty/svc-abcd1234.sock', agent: '/run/user/1000/gritty/agent-abcd1234.sock' },
  browser: '/usr/bin/gritty open',
  sessionId: 'abcd1234',
  sessionName: 'work',
};

describe('sessionEnv', () => {
  test('keeps the daemon environment for the shell (PATH, HOME, USER)', () => {
    const env = sessionEnv({ ...base, daemonEnv: { PATH: '/usr/bin', HOME: '/home/me', USER: 'me' }, clientEnv: {} });
    expect(env).toMatchObject({ PATH: '/usr/bin', HOME: '/home/me', USER: 'me' });
  });

  test('strips the daemon terminal multiplexer variables TMUX, TMUX_PANE, STY and WINDOW', () => {
    const env = sessionEnv({
      ...base,
      daemonEnv: { TMUX: '/tmp/tmux-1000/default,123,0', TMUX_PANE: '%3', STY: '123.pts-0.host', WINDOW: '0', PATH: '/bin' },
      clientEnv: {},
    });
    for (const key of ['TMUX', 'TMUX_PANE', 'STY', 'WINDOW']) expect(env).not.toHaveProperty(key);
    expect(env.PATH).toBe('/bin');
  });

  test('strips what belongs to the ssh login or terminal that started the daemon: SSH_* and TERM_PROGRAM*', () => {
    const env = sessionEnv({
      ...base,
      daemonEnv: {
        SSH_CONNECTION: '10.0.0.1 5 10.0.0.2 22',
        SSH_CLIENT: '10.0.0.1 5 22',
        SSH_TTY: '/dev/pts/3',
        SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1',
        TERM_PROGRAM: 'iTerm.app',
        TERM_PROGRAM_VERSION: '3.5',
        PATH: '/bin',
      },
      clientEnv: {},
    });
    for (const key of ['SSH_CONNECTION', 'SSH_CLIENT', 'SSH_TTY', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION']) expect(env).not.toHaveProperty(key);
    expect(env.SSH_AUTH_SOCK).toBe(base.sockets.agent);
    expect(env.PATH).toBe('/bin');
  });

  test('does not let the client smuggle TMUX or other non-terminal variables in', () => {
    const env = sessionEnv({ ...base, daemonEnv: {}, clientEnv: { TMUX: 'x', LD_PRELOAD: '/evil.so', PATH: '/evil', TERM: 'screen' } });
    expect(env).not.toHaveProperty('TMUX');
    expect(env).not.toHaveProperty('LD_PRELOAD');
    expect(env).not.toHaveProperty('PATH');
    expect(env.TERM).toBe('screen');
  });

  test('takes TERM, COLORTERM, LANG, LANGUAGE and LC_* from the client over the daemon', () => {
    const env = sessionEnv({
      ...base,
      daemonEnv: { TERM: 'dumb', LANG: 'C', LC_ALL: 'C', COLORTERM: 'no' },
      clientEnv: { TERM: 'xterm-kitty', COLORTERM: 'truecolor', LANG: 'de_DE.UTF-8', LANGUAGE: 'de', LC_ALL: 'de_DE.UTF-8', LC_TIME: 'en_GB.UTF-8' },
    });
    expect(env).toMatchObject({ TERM: 'xterm-kitty', COLORTERM: 'truecolor', LANG: 'de_DE.UTF-8', LANGUAGE: 'de', LC_ALL: 'de_DE.UTF-8', LC_TIME: 'en_GB.UTF-8' });
  });

  test('drops the daemon terminal settings that the client did not send', () => {
    const env = sessionEnv({ ...base, daemonEnv: { LC_ALL: 'C', COLORTERM: 'truecolor', LANG: 'C' }, clientEnv: { LANG: 'en_US.UTF-8' } });
    expect(env).not.toHaveProperty('LC_ALL');
    expect(env).not.toHaveProperty('COLORTERM');
    expect(env.LANG).toBe('en_US.UTF-8');
  });

  test('falls back to TERM=xterm-256color when the client sends none', () => {
    expect(sessionEnv({ ...base, daemonEnv: { TERM: 'dumb' }, clientEnv: {} }).TERM).toBe('xterm-256color');
  });

  test('sets GRITTY_SOCK, GRITTY_SESSION and GRITTY_SESSION_NAME for this session, over any inherited ones', () => {
    const env = sessionEnv({
      ...base,
      daemonEnv: { GRITTY_SOCK: '/old.sock', GRITTY_SESSION: 'old', GRITTY_SESSION_NAME: 'old' },
      clientEnv: { GRITTY_SESSION: 'client' },
    });
    expect(env.GRITTY_SOCK).toBe(base.sockets.service);
    expect(env.SSH_AUTH_SOCK).toBe(base.sockets.agent);
    expect(env.BROWSER).toBe(base.browser);
    expect(env.GRITTY_SESSION).toBe('abcd1234');
    expect(env.GRITTY_SESSION_NAME).toBe('work');
  });

  test('drops COLUMNS and LINES, which would pin the shell to the daemon terminal size', () => {
    const env = sessionEnv({ ...base, daemonEnv: { COLUMNS: '80', LINES: '24' }, clientEnv: {} });
    expect(env).not.toHaveProperty('COLUMNS');
    expect(env).not.toHaveProperty('LINES');
  });

  test('skips daemon variables that are undefined', () => {
    const env = sessionEnv({ ...base, daemonEnv: { GONE: undefined }, clientEnv: {} });
    expect(env).not.toHaveProperty('GONE');
  });

  test('takes out what gritty set for the daemon alone (one malloc arena), and nothing else', () => {
    const started = daemonEnv({ PATH: '/usr/bin', HOME: '/home/me' });
    expect(started.MALLOC_ARENA_MAX).toBe('1');
    const env = sessionEnv({ ...base, daemonEnv: started, clientEnv: {} });
    expect(env).not.toHaveProperty('MALLOC_ARENA_MAX');
    expect(env).not.toHaveProperty('GRITTY_DAEMON_ONLY_ENV');
    expect(env).toMatchObject({ PATH: '/usr/bin', HOME: '/home/me' });
  });

  test("keeps the user's own MALLOC_ARENA_MAX for the daemon and its sessions alike", () => {
    const started = daemonEnv({ MALLOC_ARENA_MAX: '4' });
    expect(started).toEqual({ MALLOC_ARENA_MAX: '4' });
    expect(sessionEnv({ ...base, daemonEnv: started, clientEnv: {} }).MALLOC_ARENA_MAX).toBe('4');
  });
});
