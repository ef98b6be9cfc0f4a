import { describe, expect, test } from 'vitest';
import { daemonArgv } from '../../src/server/daemon-argv.js';

const env = { XDG_STATE_HOME: '/state' };

describe('the daemon is recognised by the arguments server-start.ts spawns it with', () => {
  test('socket, server, foreground', () => {
    expect(daemonArgv(['--ctl-socket', '/run/g/ctl.sock', 'server', '--foreground'], env)).toEqual({ ctlSocket: '/run/g/ctl.sock', stateDir: '/state/gritty', verbose: false });
  });

  test('with --verbose between the socket and the command', () => {
    expect(daemonArgv(['--ctl-socket', '/run/g/ctl.sock', '--verbose', 'server', '--foreground'], env)?.verbose).toBe(true);
  });

  test('a relative socket path is taken from the current directory, as the CLI takes it', () => {
    expect(daemonArgv(['--ctl-socket', 'ctl.sock', 'server', '--foreground'], env)?.ctlSocket).toBe(`${process.cwd()}/ctl.sock`);
  });

  test.each([
    [[]],
    [['server', '--foreground']],
    [['--ctl-socket', '/s', 'server']],
    [['--ctl-socket', '/s', 'server', '-f']],
    [['--ctl-socket', '', 'server', '--foreground']],
    [['--ctl-socket', '/s', 'server', '--foreground', '--json']],
    [['--ctl-socket', '/s', '-v', 'server', '--foreground']],
    [['--ctl-socket', '/s', 'ls', '--foreground']],
  ])('anything else is left to the CLI: %j', (args) => {
    expect(daemonArgv(args, env)).toBeUndefined();
  });
});
