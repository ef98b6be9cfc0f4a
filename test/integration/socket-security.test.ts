import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';

let world: GrittyEnv | undefined;
afterEach(() => {
  world?.cleanup();
  world = undefined;
});

function mode(path: string): number {
  return lstatSync(path).mode & 0o777;
}

test('the socket dir is 0700 and ctl.sock is 0600, even under a permissive umask', () => {
  world = makeGrittyEnv();
  const started = world.run(['server']);
  expect(started.status, started.stderr).toBe(0);
  expect(lstatSync(world.socketDir).isDirectory()).toBe(true);
  expect(mode(world.socketDir)).toBe(0o700);
  expect(lstatSync(world.ctlSocket).isSocket()).toBe(true);
  expect(mode(world.ctlSocket)).toBe(0o600);
  expect(lstatSync(world.ctlSocket).uid).toBe(process.getuid!());
});

test.each([['server'], ['new', '-d', 'local:x'], ['ls', 'local'], ['kill-server']])('gritty %s refuses a socket dir that is a symlink, saying so', (...args) => {
  world = makeGrittyEnv();
  const elsewhere = join(world.root, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  mkdirSync(join(world.root, 'run'), { mode: 0o700 });
  symlinkSync(elsewhere, world.socketDir);
  const r = world.run(args);
  expect(r.status).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/symlink/);
  expect(r.stderr).toContain(world.socketDir);
  // nothing was bound behind the link
  expect(readdirSync(elsewhere)).toEqual([]);
});

test('gritty server -f refuses a symlinked socket dir with a non-zero exit', () => {
  world = makeGrittyEnv();
  const elsewhere = join(world.root, 'elsewhere');
  mkdirSync(elsewhere, { mode: 0o700 });
  mkdirSync(join(world.root, 'run'), { mode: 0o700 });
  symlinkSync(elsewhere, world.socketDir);
  const r = world.run(['server', '-f'], { timeoutMs: 10_000 });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/symlink/);
  expect(readdirSync(elsewhere)).toEqual([]);
});

test.each([['server'], ['new', '-d', 'local:x'], ['server', '-f']])('gritty %s refuses a socket dir with mode 0755, naming chmod', (...args) => {
  world = makeGrittyEnv();
  mkdirSync(world.socketDir, { recursive: true });
  chmodSync(world.socketDir, 0o755);
  const r = world.run(args, { timeoutMs: 10_000 });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`chmod 700 ${world.socketDir}`);
  expect(existsSync(world.ctlSocket)).toBe(false);
});
