import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../../src/relay/messages.js';
import { afterEach, expect, test } from 'vitest';
import { LOG_CAP_BYTES } from '../../src/relay/log.js';
import { processStartTime } from '../../src/relay/process-identity.js';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

interface Finding {
  check: string;
  status: 'ok' | 'problem' | 'fixed';
  message: string;
}

let world: GrittyEnv | undefined;

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  world?.cleanup();
  world = undefined;
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

function doctor(w: GrittyEnv, ...flags: string[]): { status: number | null; findings: Finding[] } {
  const r = w.run(['doctor', '--json', ...flags]);
  return { status: r.status, findings: JSON.parse(r.stdout) as Finding[] };
}

function tunnelState(name: string, pid: number, protocol: number): string {
  return JSON.stringify({ name, destination: `${name}.example`, pid, startTime: processStartTime(pid), sshPid: undefined, status: 'healthy', since: Date.now(), remoteSocket: '/r', protocol, sshOptions: [] });
}

/** A live process that looks like a tunnel supervisor by its command line, as doctor checks. */
function fakeSupervisor(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'connect', '--supervise'], { stdio: 'ignore' });
  children.push(child);
  return child;
}
const children: ChildProcess[] = [];

test('doctor finds a planted orphan server, a stale tunnel, another protocol, a big log and a loose socket dir; --fix fixes what is safe', async () => {
  const w = (world = makeGrittyEnv());
  expect(w.run(['server']).status).toBe(0);
  const pid = Number(JSON.parse(w.run(['info', '--json']).stdout).server.pid);
  // a running server binds its socket again within seconds; a stopped (hung) one cannot
  process.kill(pid, 'SIGSTOP');
  rmSync(w.ctlSocket);
  // a supervisor pid that is surely gone: a process that has exited
  const gone = spawnSync('true').pid!;
  writeFileSync(join(w.socketDir, 'connect-old.json'), tunnelState('old', gone, 1));
  const supervisor = fakeSupervisor();
  await waitFor(() => processStartTime(supervisor.pid!) !== undefined, { what: 'the stand-in supervisor' });
  writeFileSync(join(w.socketDir, 'connect-future.json'), tunnelState('future', supervisor.pid!, 999));
  const log = join(w.root, 'state', 'gritty', 'client.log');
  mkdirSync(join(w.root, 'state', 'gritty'), { recursive: true });
  writeFileSync(log, 'x'.repeat(LOG_CAP_BYTES + 10), { mode: 0o600 });
  chmodSync(w.socketDir, 0o750);

  // a server counts as orphaned once it is too old to be still starting
  const before = await waitFor(() => {
    const d = doctor(w);
    return d.findings.some((f) => f.check === 'server' && f.status === 'problem') && d;
  }, { timeoutMs: 60_000, what: 'doctor to call the server orphaned' });
  expect(before.status).toBe(1);
  const problems = before.findings.filter((f) => f.status === 'problem').map((f) => f.message);
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(new RegExp(`^server ${pid} is orphaned: its socket .* is gone, so no client can reach its 0 processes$`)),
      expect.stringMatching(/^old \(old\.example\) is stale: its supervisor \(pid \d+\) is gone$/),
      expect.stringMatching(new RegExp(`^the gritty server behind future \\(future\\.example\\) speaks protocol 999, this client ${PROTOCOL_VERSION}$`)),
      expect.stringMatching(/client\.log is \d+ bytes, over its 1048576-byte cap$/),
      expect.stringMatching(/has mode 750; run chmod 700/),
    ]),
  );
  expect(problems).toHaveLength(5);

  const fixed = doctor(w, '--fix');
  expect(fixed.findings.filter((f) => f.status === 'fixed').map((f) => f.check).sort()).toEqual(['logs', 'server', 'socket dir', 'tunnel']);
  // the other protocol is not doctor's to fix
  expect(fixed.findings.filter((f) => f.status === 'problem').map((f) => f.message)).toEqual([expect.stringMatching(/protocol 999/)]);
  await waitFor(() => !alive(pid), { what: 'the orphaned server to stop' });
  expect(existsSync(join(w.socketDir, 'connect-old.json'))).toBe(false);
  expect(existsSync(`${log}.1`)).toBe(true);
  expect(statSync(w.socketDir).mode & 0o777).toBe(0o700);

  rmSync(join(w.socketDir, 'connect-future.json'));
  const after = doctor(w);
  expect(after.status).toBe(0);
  expect(after.findings.every((f) => f.status === 'ok')).toBe(true);
}, 120_000);

test('--fix leaves an orphaned server that still has shells, and says how to end it', async () => {
  const w = (world = makeGrittyEnv());
  expect(w.run(['new', '-d', 'local:keep']).status).toBe(0);
  const pid = Number(JSON.parse(w.run(['info', '--json']).stdout).server.pid);
  process.kill(pid, 'SIGSTOP');
  rmSync(w.ctlSocket);
  const found = await waitFor(() => doctor(w, '--fix').findings.find((f) => f.check === 'server' && f.status === 'problem'), { timeoutMs: 60_000, what: 'the orphan to be found' });
  expect(found.message).toMatch(new RegExp(`^server ${pid} is orphaned: .* its 1 process$`));
  expect(alive(pid)).toBe(true);
  process.kill(pid, 'SIGTERM');
}, 120_000);

test('inside a session, an SSH_AUTH_SOCK or BROWSER that is not this session\'s is a problem', () => {
  const w = (world = makeGrittyEnv());
  const r = w.run(['doctor'], { env: { GRITTY_SESSION: 'abc', SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1', BROWSER: 'firefox', TMUX: undefined } });
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^PROBLEM session: SSH_AUTH_SOCK is \/tmp\/ssh-x\/agent\.1, not this session's agent socket; /m);
  expect(r.stdout).toMatch(/^PROBLEM session: BROWSER is firefox, not gritty's opener; /m);
  const otherSession = join(w.socketDir, 'agent-def.sock');
  const stale = w.run(['doctor'], { env: { GRITTY_SESSION: 'abc', GRITTY_SOCK: join(w.socketDir, 'svc-abc.sock'), SSH_AUTH_SOCK: otherSession, BROWSER: 'gritty open', TMUX: undefined } });
  expect(stale.stdout).toContain(`PROBLEM session: SSH_AUTH_SOCK is ${otherSession}, not this session's agent socket ${join(w.socketDir, 'agent-abc.sock')}; `);
  expect(stale.stdout).toMatch(/^PROBLEM session: BROWSER is gritty open, not gritty's opener; /m);
});

test('doctor run inside a real session finds its agent socket and opener', async () => {
  const w = (world = makeGrittyEnv());
  const out = join(w.root, 'doctor.json');
  const command = `TMUX= ${process.execPath} ${GRITTY_BIN} doctor --json > ${out}.part; mv ${out}.part ${out}; sleep 600`;
  expect(w.run(['new', '-d', 'local:doc', '-c', command]).status).toBe(0);
  const findings = await waitFor(() => (existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Finding[]) : undefined), { timeoutMs: 60_000, what: 'doctor to run inside the session' });
  const session = findings.filter((f) => f.check === 'session');
  expect(session.map((f) => `${f.status} ${f.message}`)).toEqual(['ok SSH_AUTH_SOCK is this session\'s agent socket', 'ok BROWSER is gritty\'s']);
}, 120_000);

test('inside tmux in a session, a tmux that drops OSC 52 or the agent socket is a problem', () => {
  const w = (world = makeGrittyEnv());
  const socket = join(w.root, 'tmux.sock');
  const tmux = (...args: string[]): void => {
    const r = spawnSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { env: w.env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  tmux('new-session', '-d', '-s', 'doctor', 'sleep 600');
  try {
    tmux('set-option', '-g', 'set-clipboard', 'off');
    tmux('set-option', '-g', 'update-environment', 'DISPLAY');
    const session = { GRITTY_SESSION: 'abc', GRITTY_SOCK: join(w.socketDir, 'svc-abc.sock'), SSH_AUTH_SOCK: join(w.socketDir, 'agent-abc.sock'), BROWSER: `${GRITTY_BIN} open`, TMUX: `${socket},1,0` };
    const bad = w.run(['doctor'], { env: session });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^PROBLEM tmux: set-clipboard is off: OSC 52 copies will not reach your terminal; tmux set -g set-clipboard on$/m);
    expect(bad.stdout).toMatch(/^PROBLEM tmux: update-environment leaves out SSH_AUTH_SOCK/m);
    tmux('set-option', '-g', 'set-clipboard', 'external');
    tmux('set-option', '-g', 'update-environment', 'DISPLAY SSH_AUTH_SOCK');
    const good = w.run(['doctor'], { env: session });
    expect(good.stdout).toMatch(/^ok +tmux: set-clipboard is external$/m);
    expect(good.stdout).toMatch(/^ok +tmux: update-environment passes SSH_AUTH_SOCK/m);
    expect(good.status, good.stdout).toBe(0);
  } finally {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
  }
});
