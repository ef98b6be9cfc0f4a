import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as nodePty from 'node-pty';
import { afterEach, describe, expect, test } from 'vitest';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/** One voice: every error one line starting gritty:, status 0 ok, 1 failure, 2 usage. */
let world: GrittyEnv | undefined;

afterEach(() => {
  world?.cleanup();
  world = undefined;
});

function fresh(): GrittyEnv {
  world = makeGrittyEnv();
  return world;
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, JSON.stringify(stderr)).toHaveLength(1);
  expect(lines[0]).toMatch(/^gritty: /);
  return lines[0]!;
}

describe('usage', () => {
  test('gritty with no arguments prints a short usage on stdout and exits 0', () => {
    const r = fresh().run([]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^usage: gritty <command>/);
    expect(r.stdout.split('\n').length).toBeLessThan(15);
  });

  test.each([
    [['bogus-command'], /^gritty: unknown command 'bogus-command'; see gritty --help$/],
    [['help', 'bogus'], /^gritty: unknown command 'bogus'; gritty --help lists the commands$/],
    [['ls', '--bogus'], /^gritty: unknown option '--bogus'; see gritty list-sessions --help$/],
    [['rename'], /^gritty: missing required argument 'target'; see gritty rename --help$/],
    [['kill-session', 'a:b', 'c'], /^gritty: too many arguments for 'kill-session'.*; see gritty kill-session --help$/],
  ])('gritty %j says so in one line and exits 2', (args, message) => {
    const r = fresh().run(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toMatch(message);
  });

  test('--help of every command has an example, and gritty --help lists the exit statuses', () => {
    const w = fresh();
    for (const command of ['new-session', 'attach', 'tail', 'list-sessions', 'kill-session', 'rename', 'kill-server', 'connect', 'disconnect', 'tunnels', 'server', 'info', 'config-edit', 'completions', 'doctor']) {
      const r = w.run([command, '--help']);
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toMatch(/Examples?:\n {2}gritty /);
    }
    expect(w.run(['--help']).stdout).toMatch(/Exit status: 0 ok, 1 failure, 2 wrong usage/);
  });
});

describe('no server', () => {
  test('the same words from every command that needs one, status 1', () => {
    const w = fresh();
    const said = new Set<string>();
    for (const args of [['ls', 'local'], ['kill-session', 'local:x'], ['tail', 'local:x'], ['rename', 'local:x', 'y']]) {
      const r = w.run(args);
      expect(r.status, args.join(' ')).toBe(1);
      said.add(oneLine(r.stderr));
    }
    expect([...said]).toEqual(['gritty: no gritty server is running on local; start one with gritty new local:NAME or gritty server']);
  });

  test('kill-server with nothing running succeeds quietly', () => {
    const r = fresh().run(['kill-server']);
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  test('ls with no server is simply no sessions, but an explicit socket with nothing on it is an error', () => {
    const w = fresh();
    const plain = w.run(['ls']);
    expect(plain).toMatchObject({ status: 0, stderr: '' });
    expect(plain.stdout).toMatch(/^no sessions/);
    const explicit = w.run(['--ctl-socket', '/nonexistent/x.sock', 'ls']);
    expect(explicit.status).toBe(1);
    expect(explicit.stdout).toBe('');
    expect(oneLine(explicit.stderr)).toMatch(/no gritty server is running on \/nonexistent\/x\.sock/);
  });
});

describe('a refused or junk socket directory', () => {
  test('ls reports the refusal alone, without a contradicting "no sessions"', () => {
    const w = fresh();
    mkdirSync(w.socketDir, { recursive: true });
    chmodSync(w.socketDir, 0o755);
    const r = w.run(['ls']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toMatch(/has mode 755; run chmod 700/);
  });

  test('a file where the socket dir belongs is named on the terminal by new', () => {
    const w = fresh();
    mkdirSync(join(w.root, 'run'), { mode: 0o700 });
    writeFileSync(w.socketDir, 'junk');
    const r = w.run(['new', '-d', 'local:x']);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toBe(`gritty: ${w.socketDir} is not a directory; remove it (rm ${w.socketDir}) and try again`);
  });

  test('a file where ctl.sock belongs is named on the terminal, not only in daemon.log', () => {
    const w = fresh();
    mkdirSync(w.socketDir, { recursive: true, mode: 0o700 });
    writeFileSync(w.ctlSocket, 'junk');
    const r = w.run(['new', '-d', 'local:x']);
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toBe(`gritty: ${w.ctlSocket} exists and is not a socket; remove it (rm ${w.ctlSocket}) and try again`);
  });

  test('info still works, and says why the directory is refused', () => {
    const w = fresh();
    mkdirSync(w.socketDir, { recursive: true });
    chmodSync(w.socketDir, 0o755);
    const r = w.run(['info']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^socket dir +.*\(refused: .* has mode 755; run chmod 700/m);
  });
});

describe('paths', () => {
  test('a relative --ctl-socket is made absolute, so every command finds the same server', () => {
    const w = fresh();
    const cwd = join(w.root, 'here');
    mkdirSync(cwd, { mode: 0o700 });
    const started = spawnSync(process.execPath, [GRITTY_BIN, '--ctl-socket', 'rel/ctl.sock', 'new', '-d', 'local:x'], { cwd, env: w.env, encoding: 'utf8' });
    expect(started.status, started.stderr).toBe(0);
    const abs = join(cwd, 'rel', 'ctl.sock');
    expect(statSync(abs).isSocket()).toBe(true);
    const listed = w.run(['--ctl-socket', abs, 'ls', '--json', 'local']);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((s) => s.name)).toEqual(['x']);
    expect(w.run(['--ctl-socket', abs, 'kill-server']).status).toBe(0);
  });

  test('a relative XDG_RUNTIME_DIR is ignored, as the XDG spec says, and info says so', () => {
    const w = fresh();
    const r = spawnSync(process.execPath, [GRITTY_BIN, 'info'], { cwd: w.root, env: { ...w.env, XDG_RUNTIME_DIR: 'run' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^socket dir +\/tmp\/gritty-\d+ /m);
    expect(r.stdout).toMatch(/^ignored +XDG_RUNTIME_DIR is not an absolute path/m);
  });
});

describe('a session that exited leaves a trace', () => {
  test('tail and ls --all say it exited, when, and with what status', async () => {
    const w = fresh();
    expect(w.run(['new', '-d', '-c', 'exit 3', 'local:build']).status).toBe(0);
    const listed = await waitFor(() => {
      const r = w.run(['ls', '--all', '--json', 'local']);
      const rows = JSON.parse(r.stdout) as { name: string; exited?: boolean; code?: number; exitedAt?: number }[];
      return rows.find((row) => row.exited === true);
    }, { what: 'the exit to be listed' });
    expect(listed).toMatchObject({ name: 'build', code: 3 });
    expect(typeof listed.exitedAt).toBe('number');

    const tail = w.run(['tail', 'local:build']);
    expect(tail.status).toBe(1);
    expect(oneLine(tail.stderr)).toMatch(/^gritty: session build exited less than a minute ago \(\d{4}-\d\d-\d\dT[^)]+\) with status 3; gritty ls --all lists recent exits$/);

    const table = w.run(['ls', '--all']);
    expect(table.stdout).toMatch(/^local:build +exited +\d\d:\d\d +\d+s +status 3$/m);
    expect(w.run(['ls']).stdout).not.toMatch(/build/);
  });
});

describe('tables', () => {
  test('ls fits 80 columns even with a long name and command', async () => {
    const w = fresh();
    const name = 'a-rather-long-session-name-that-goes-on-and-on';
    expect(w.run(['new', '-d', '-c', `sleep 600; echo ${'x'.repeat(60)}`, `local:${name}`]).status).toBe(0);
    const out = w.run(['ls']).stdout;
    expect(out).toMatch(/local:a-rather/);
    for (const line of out.trimEnd().split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
  });
});

describe('logs', () => {
  test('a looser existing log dir and log file are tightened to 0700 and 0600', () => {
    const w = fresh();
    const state = join(w.root, 'state', 'gritty');
    mkdirSync(state, { recursive: true, mode: 0o755 });
    chmodSync(state, 0o755);
    writeFileSync(join(state, 'daemon.log'), 'old\n', { mode: 0o644 });
    chmodSync(join(state, 'daemon.log'), 0o644);
    expect(w.run(['server']).status).toBe(0);
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, 'daemon.log')).mode & 0o777).toBe(0o600);
  });

  test('-v writes debug lines to stderr and to client.log', () => {
    const w = fresh();
    const r = w.run(['-v', 'info']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/ debug config /);
    const log = join(w.root, 'state', 'gritty', 'client.log');
    expect(existsSync(log)).toBe(true);
    expect(statSync(log).mode & 0o777).toBe(0o600);
  });

  test('info writes nothing: no device-id, no state dir', () => {
    const w = fresh();
    expect(w.run(['info']).status).toBe(0);
    expect(existsSync(join(w.root, 'state'))).toBe(false);
    rmSync(join(w.root, 'state'), { recursive: true, force: true });
  });
});

describe('defaults that name nothing', () => {
  test('attach -c with no session attached before creates a numbered one instead of refusing "-"', async () => {
    const w = fresh();
    const term = nodePty.spawn(process.execPath, [GRITTY_BIN, 'attach', '-c'], { cols: 80, rows: 24, env: w.env as Record<string, string> });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    const names = await waitFor(() => {
      const r = w.run(['ls', '--json', 'local']);
      const rows = r.status === 0 ? (JSON.parse(r.stdout) as { name: string; attached: boolean }[]) : [];
      return rows.length > 0 && rows.every((s) => s.attached) && rows.map((s) => s.name);
    }, { what: 'the created session, attached', describe: () => screen });
    expect(names).toEqual(['0']);
    expect(screen).not.toMatch(/invalid session name/);
    expect(w.run(['kill-server']).status).toBe(0);
    await exited;
  });
});
