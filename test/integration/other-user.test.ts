import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GRITTY_BIN } from '../helpers/daemon.js';
import { RawClient } from '../helpers/protocol.js';
import { CAN_CREATE_USERS, createTempUser, deleteTempUser, pidsOfUid, runAs, type TempUser } from '../helpers/users.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The boundary between local users, shown with two throwaway users: the victim runs
 * gritty (daemon and CLI, as itself, not as root), the attacker tries to reach it.
 * The 0700 socket and state directories are what stop the attacker; the daemon does
 * not check peer credentials (see docs/SECURITY.md).
 */
let victim: TempUser;
let attacker: TempUser;
let root: string;
let victimEnv: NodeJS.ProcessEnv;
let socketDir: string;
let ctlSocket: string;
let stateDir: string;

/** Tries each operation as `user`; answers 'ok' or the errno code for each. */
const PROBE = `
const fs = require('node:fs'), net = require('node:net');
const [ops] = process.argv.slice(1);
(async () => {
  const out = [];
  for (const [op, path] of JSON.parse(ops)) {
    try {
      if (op === 'connect') await new Promise((ok, no) => net.createConnection(path).once('connect', function () { this.destroy(); ok(); }).once('error', no));
      else if (op === 'readdir') fs.readdirSync(path);
      else if (op === 'read') fs.readFileSync(path);
      else if (op === 'write') fs.writeFileSync(path, 'x');
      out.push('ok');
    } catch (err) { out.push(err.code ?? String(err)); }
  }
  console.log(JSON.stringify(out));
})();`;

function probe(user: TempUser, ops: [string, string][]): string[] {
  const r = runAs(user, [process.execPath, '-e', PROBE, JSON.stringify(ops)], { env: { PATH: process.env.PATH } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

function gritty(user: TempUser, args: string[], env: NodeJS.ProcessEnv = victimEnv) {
  return runAs(user, [process.execPath, GRITTY_BIN, ...args], { env });
}

/** A directory owned by `user` with `mode`. */
function dirOf(user: TempUser, path: string, mode: number): string {
  mkdirSync(path, { recursive: true });
  chownSync(path, user.uid, user.gid);
  chmodSync(path, mode);
  return path;
}

describe.skipIf(!CAN_CREATE_USERS)('another local user', () => {
  beforeAll(() => {
    victim = createTempUser('gtv');
    attacker = createTempUser('gta');
    root = mkdtempSync('/tmp/gritty-users-');
    // readable by all, like /home: what keeps the attacker out must be gritty's own dirs
    chmodSync(root, 0o755);
    const home = dirOf(victim, join(root, 'victim-home'), 0o755);
    // a runtime dir and a state dir the attacker may enter, as ~/.local/state often is:
    // the gritty dirs inside them are the boundary under test
    const runtime = dirOf(victim, join(root, 'victim-run'), 0o755);
    const state = dirOf(victim, join(root, 'victim-state'), 0o755);
    victimEnv = { PATH: process.env.PATH, HOME: home, SHELL: '/bin/bash', TERM: 'xterm-256color', XDG_RUNTIME_DIR: runtime, XDG_STATE_HOME: state, XDG_CONFIG_HOME: join(home, '.config') };
    socketDir = join(runtime, 'gritty');
    ctlSocket = join(socketDir, 'ctl.sock');
    stateDir = join(state, 'gritty');
    const started = gritty(victim, ['new', '-d', '-c', 'cat', 'local:secret']);
    expect(started.status, started.stderr).toBe(0);
  });

  afterAll(() => {
    if (victim !== undefined) gritty(victim, ['kill-server']);
    for (const user of [victim, attacker]) if (user !== undefined) deleteTempUser(user);
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
    if (victim !== undefined) rmSync(`/tmp/gritty-${victim.uid}`, { recursive: true, force: true });
  });

  test('the victim runs its own daemon: the socket dir is 0700 and ctl.sock 0600, both the victim\'s', () => {
    expect(lstatSync(socketDir)).toMatchObject({ uid: victim.uid });
    expect(lstatSync(socketDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(ctlSocket).isSocket()).toBe(true);
    expect(lstatSync(ctlSocket)).toMatchObject({ uid: victim.uid });
    expect(lstatSync(ctlSocket).mode & 0o777).toBe(0o600);
    expect(lstatSync(stateDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(stateDir, 'daemon.log')).mode & 0o777).toBe(0o600);
    expect(pidsOfUid(victim.uid).length).toBeGreaterThan(0);
  });

  test('the victim itself reaches everything (the probe works, so a refusal below is the boundary)', () => {
    const listed = gritty(victim, ['ls', 'local']);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('secret');
    expect(probe(victim, [['connect', ctlSocket], ['readdir', socketDir], ['readdir', stateDir], ['read', join(stateDir, 'daemon.log')]])).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  test('another user cannot connect to the daemon, nor list or read the socket and state dirs', () => {
    expect(
      probe(attacker, [
        ['connect', ctlSocket],
        ['readdir', socketDir],
        ['readdir', stateDir],
        ['read', join(stateDir, 'daemon.log')],
        ['write', join(socketDir, 'planted')],
      ]),
    ).toEqual(['EACCES', 'EACCES', 'EACCES', 'EACCES', 'EACCES']);
    const ls = gritty(attacker, ['ls', 'local'], { ...victimEnv, HOME: root });
    expect(ls.status).not.toBe(0);
    expect(ls.stdout).not.toContain('secret');
  });

  test('with ctl.sock made 0666 by mistake, the 0700 directory alone still keeps the other user out', () => {
    chmodSync(ctlSocket, 0o666);
    try {
      expect(probe(attacker, [['connect', ctlSocket]])).toEqual(['EACCES']);
    } finally {
      chmodSync(ctlSocket, 0o600);
    }
  });

  test('root still connects: the daemon does not check peer credentials', async () => {
    const { client, ack } = await RawClient.open(ctlSocket);
    client.send({ type: 'list' });
    const sessions = await client.expect('sessions');
    client.close();
    expect(sessions.sessions.map((s) => s.name)).toEqual(['secret']);
    expect(pidsOfUid(victim.uid)).toContain(ack.pid);
  });

  describe('a socket dir planted in /tmp by another user before the victim runs gritty', () => {
    /** The victim without XDG_RUNTIME_DIR: gritty falls back to /tmp/gritty-<uid>. */
    const fallbackEnv = (): NodeJS.ProcessEnv => ({ ...victimEnv, XDG_RUNTIME_DIR: undefined, XDG_STATE_HOME: join(root, 'victim-state') });
    const planted = (): string => `/tmp/gritty-${victim.uid}`;

    test.each([
      ['a directory of the attacker, mode 0700', 0o700],
      ['a directory of the attacker, mode 0777', 0o777],
    ])('%s is refused with a message naming its owner, and nothing is bound in it', (_what, mode) => {
      const dir = dirOf(attacker, planted(), mode);
      try {
        for (const args of [['server'], ['new', '-d', '-c', 'cat', 'local:x'], ['ls', 'local']]) {
          const r = gritty(victim, args, fallbackEnv());
          expect(r.status, `${args.join(' ')}: ${r.stdout}`).not.toBe(0);
          expect(r.stderr).toContain(dir);
          expect(r.stderr).toContain(`belongs to uid ${attacker.uid}, not to you (uid ${victim.uid})`);
          expect(r.stderr.trim().split('\n')).toHaveLength(1);
          expect(readdirSync(dir)).toEqual([]);
        }
        expect(lstatSync(dir)).toMatchObject({ uid: attacker.uid });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a symlink of the attacker, to a directory the attacker reads, is refused as a symlink and never followed', () => {
      const bait = dirOf(attacker, join(root, 'attacker-bait'), 0o777);
      symlinkSync(bait, planted());
      lchownSync(planted(), attacker.uid, attacker.gid);
      try {
        for (const args of [['server'], ['new', '-d', '-c', 'cat', 'local:x'], ['ls', 'local']]) {
          const r = gritty(victim, args, fallbackEnv());
          expect(r.status, `${args.join(' ')}: ${r.stdout}`).not.toBe(0);
          expect(r.stderr).toContain(`${planted()} is a symlink; gritty refuses it`);
          expect(readdirSync(bait)).toEqual([]);
        }
      } finally {
        rmSync(planted(), { force: true });
      }
    });

    test('with nothing planted, the same fallback path works for the victim, 0700 and its own', async () => {
      expect(existsSync(planted())).toBe(false);
      const r = gritty(victim, ['server'], fallbackEnv());
      expect(r.status, r.stderr).toBe(0);
      await waitFor(() => existsSync(join(planted(), 'ctl.sock')), { what: 'the fallback ctl.sock' });
      expect(lstatSync(planted())).toMatchObject({ uid: victim.uid });
      expect(lstatSync(planted()).mode & 0o777).toBe(0o700);
      expect(probe(attacker, [['connect', join(planted(), 'ctl.sock')], ['readdir', planted()]])).toEqual(['EACCES', 'EACCES']);
      expect(gritty(victim, ['kill-server'], fallbackEnv()).status).toBe(0);
    });
  });
});
