import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { GRITTY_BIN } from '../helpers/daemon.js';
import { signalAll } from '../helpers/processes.js';
import { E2eScope, INNER_PROMPT, innerShell, type TmuxTerminal } from '../helpers/terminal.js';
import { exitOf, waitFor } from '../helpers/wait.js';
import { freePort, listening } from '../forward/port/streams.js';

/**
 * `gritty rf` is held by the session's daemon: the laptop listens while the helper runs,
 * the helper hears of each connection that found nothing on its target, and when the
 * laptop goes away (a detach) the helper asks again until a client is back. A real
 * daemon, a real attached client in a terminal and the real CLI.
 */
const scope = new E2eScope();
const children: ChildProcess[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const server of servers.splice(0)) server.close();
  scope.cleanup();
});

interface Helper {
  child: ChildProcess;
  stderr: () => string;
}

function rf(spec: string): Helper {
  const [listed] = scope.sessions();
  const env = { ...scope.world.env, GRITTY_SOCK: join(scope.world.socketDir, `svc-${listed!.id}.sock`) };
  const child = spawn(process.execPath, [GRITTY_BIN, 'rf', spec], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return { child, stderr: () => stderr };
}

async function serve(): Promise<number> {
  const port = await freePort();
  const server = createServer((req, res) => res.end(`session says ${req.url}`));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

async function fetchText(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/x`).then(
    (res) => res.text(),
    (err: Error) => `failed: ${err.message}`,
  );
}

test('gritty rf reports a connection that found nothing on its target, listens again after a detach and reattach, and Ctrl-C ends it', async () => {
  const term = await scope.terminal({ cols: 100 });
  term.line(`gritty new -c ${innerShell(scope.world)} local:rf`);
  await term.waitFor(INNER_PROMPT.trim());
  const target = await serve();
  const [listen, deadListen, deadTarget] = [await freePort(), await freePort(), await freePort()];

  const forward = rf(`${listen}:${target}`);
  await waitFor(() => forward.stderr().includes('Ctrl-C stops'), { what: 'gritty rf to say it forwards', describe: forward.stderr });
  expect(await fetchText(listen)).toBe('session says /x');

  const dead = rf(`${deadListen}:${deadTarget}`);
  await waitFor(() => dead.stderr().includes('Ctrl-C stops'), { what: 'the second gritty rf to forward', describe: dead.stderr });
  expect(await fetchText(deadListen)).toMatch(/^failed/);
  await waitFor(() => dead.stderr().includes(`gritty rf: a connection was not forwarded: nothing accepts connections on the session host's 127.0.0.1:${deadTarget}`), {
    what: 'gritty rf to say why the connection was not forwarded',
    describe: dead.stderr,
  });

  term.escape('.');
  await term.waitForOuterPrompt();
  await waitFor(() => forward.stderr().includes('gritty rf: the laptop went away; listening again when a client attaches'), { what: 'gritty rf to notice the detach', describe: forward.stderr });
  await waitFor(async () => !(await listening(listen)), { what: `the laptop's ${listen} to stop listening` });

  term.line('gritty attach local:rf');
  await waitFor(async () => (await fetchText(listen)) === 'session says /x', { what: 'the forward back after the reattach', describe: forward.stderr });

  forward.child.kill('SIGINT');
  expect(await exitOf(forward.child)).toBe(0);
  await waitFor(async () => !(await listening(listen)), { what: `the laptop's ${listen} to stop listening after Ctrl-C` });
  expect(await fetchText(deadListen)).toMatch(/^failed/);
});

/** Heartbeats fast enough that a frozen daemon is noticed within seconds, not the default 15. */
const FAST_HEARTBEAT_CONFIG = '[defaults]\nheartbeat-interval = 1\nheartbeat-timeout = 3\n';
const LAPTOP_WENT_AWAY = 'gritty rf: the laptop went away; listening again when a client attaches';

/** A session with a working `gritty rf`, whose daemon is then frozen until the client shows its link is down. */
async function forwardWithLinkDown(name: string): Promise<{ term: TmuxTerminal; forward: Helper; daemon: number }> {
  mkdirSync(join(scope.world.env.XDG_CONFIG_HOME!, 'gritty'), { recursive: true });
  writeFileSync(join(scope.world.env.XDG_CONFIG_HOME!, 'gritty', 'config.toml'), FAST_HEARTBEAT_CONFIG);
  const term = await scope.terminal({ cols: 200 });
  term.line(`gritty new -c ${innerShell(scope.world)} local:${name}`);
  await term.waitFor(INNER_PROMPT.trim());
  const [listen, target] = [await freePort(), await serve()];
  const forward = rf(`${listen}:${target}`);
  await waitFor(() => forward.stderr().includes('Ctrl-C stops'), { what: 'gritty rf to say it forwards', describe: forward.stderr });
  expect(await fetchText(listen)).toBe('session says /x');

  const daemon = scope.daemonPid();
  process.kill(daemon, 'SIGSTOP');
  scope.onCleanup(() => signalAll([daemon], 'SIGCONT'));
  await term.waitFor(`[gritty] reconnecting to local:${name}`, { timeoutMs: 20_000 });
  return { term, forward, daemon };
}

test('~. typed while the link is down reaches the daemon once it answers: gritty rf hears the laptop went away', async () => {
  const { term, forward, daemon } = await forwardWithLinkDown('rf-down');
  term.escape('.');
  await term.waitFor('[gritty] detaching from local:rf-down: telling the gritty server on local');
  process.kill(daemon, 'SIGCONT');
  const screen = await term.waitForOuterPrompt();
  expect(screen).toContain('[detached from local:rf-down]');
  expect(await term.exitStatus()).toBe(0);
  await waitFor(() => forward.stderr().includes(LAPTOP_WENT_AWAY), { what: 'gritty rf to notice the detach', describe: forward.stderr });
  expect(scope.sessions().find((s) => s.name === 'rf-down')?.attached).toBe(false);
});

test('~. typed while the daemon stays unreachable ends the client saying the daemon holds the forwards until the next attach, which lets them go', async () => {
  const { term, forward, daemon } = await forwardWithLinkDown('rf-gone');
  term.escape('.');
  const screen = await term.waitForOuterPrompt();
  expect(screen.replace(/\n/g, '')).toContain(
    "[detached from local:rf-gone; the gritty server on local could not be reached in 5 s to be told, so it keeps this session's forwards, transfers and agent open until the next attach]",
  );
  expect(await term.exitStatus()).toBe(0);
  process.kill(daemon, 'SIGCONT');

  term.line('gritty attach local:rf-gone');
  await term.waitFor(INNER_PROMPT.trim());
  await waitFor(() => forward.stderr().includes(LAPTOP_WENT_AWAY), { what: 'gritty rf to hear the fresh attach let the held forward go', describe: forward.stderr });
});

test('a second ~. while the first waits for the daemon leaves at once, saying the daemon was not told', async () => {
  const { term } = await forwardWithLinkDown('rf-twice');
  term.escape('.');
  await term.waitFor('~. again leaves now');
  term.escape('.');
  const screen = await term.waitForOuterPrompt();
  expect(screen.replace(/\n/g, '')).toContain(
    "[detached from local:rf-twice without telling the gritty server on local, so it keeps this session's forwards, transfers and agent open until the next attach]",
  );
  expect(await term.exitStatus()).toBe(0);
});
