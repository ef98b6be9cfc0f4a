import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { exitOf, waitFor } from '../helpers/wait.js';
import { connect, freePort, listening } from '../forward/port/streams.js';

/**
 * `gritty lf` asks the session's daemon to listen, and holds the forward for as long
 * as it runs: the listener is the daemon's, its life is the helper's. A real daemon, a
 * real session and the real CLI, with GRITTY_SOCK as a shell in the session has it.
 */
let world: GrittyEnv | undefined;
const helpers: ChildProcess[] = [];
afterEach(() => {
  for (const helper of helpers.splice(0)) helper.kill('SIGKILL');
  world?.cleanup();
  world = undefined;
});

interface Helper {
  child: ChildProcess;
  stderr: () => string;
}

/** A detached session and its service socket, as GRITTY_SOCK names it inside. */
function session(): string {
  world = makeGrittyEnv();
  expect(world.run(['new', '-d', 'local:lf']).status).toBe(0);
  const [listed] = JSON.parse(world.run(['ls', '--json']).stdout) as { id: string }[];
  return join(world.socketDir, `svc-${listed!.id}.sock`);
}

function lf(serviceSocket: string, spec: string): Helper {
  const child = spawn(process.execPath, [GRITTY_BIN, 'lf', spec], { env: { ...world!.env, GRITTY_SOCK: serviceSocket }, stdio: ['ignore', 'ignore', 'pipe'] });
  helpers.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return { child, stderr: () => stderr };
}

async function started(helper: Helper): Promise<void> {
  await waitFor(() => helper.stderr().includes('Ctrl-C stops'), { what: 'gritty lf to say it forwards', describe: helper.stderr });
}

test('Ctrl-C of gritty lf closes the listener the daemon holds for it', async () => {
  const svc = session();
  const port = await freePort();
  const helper = lf(svc, `${port}:${await freePort()}`);
  await started(helper);
  expect(await listening(port)).toBe(true);
  helper.child.kill('SIGINT');
  expect(await exitOf(helper.child)).toBe(0);
  await waitFor(async () => !(await listening(port)), { what: `127.0.0.1:${port} to stop listening` });
});

test('kill -9 of gritty lf closes the listener too', async () => {
  const svc = session();
  const port = await freePort();
  const helper = lf(svc, `${port}:${await freePort()}`);
  await started(helper);
  expect(await listening(port)).toBe(true);
  helper.child.kill('SIGKILL');
  await exitOf(helper.child);
  await waitFor(async () => !(await listening(port)), { what: `127.0.0.1:${port} to stop listening` });
});

test('a second gritty lf on a busy port fails with a clear error, and the first keeps listening', async () => {
  const svc = session();
  const port = await freePort();
  const first = lf(svc, `${port}:${await freePort()}`);
  await started(first);
  const second = lf(svc, `${port}:${await freePort()}`);
  expect(await exitOf(second.child)).not.toBe(0);
  expect(second.stderr()).toContain(`port ${port} is already in use on the session host`);
  expect(await listening(port)).toBe(true);
  expect(first.child.exitCode).toBe(null);
});

test('with no laptop attached, a connection is closed at once and gritty lf says why, while the helper is stopped', async () => {
  const svc = session();
  const port = await freePort();
  const helper = lf(svc, `${port}:${await freePort()}`);
  await started(helper);
  // the daemon carries the forward: a stopped helper neither holds up nor answers a connection
  helper.child.kill('SIGSTOP');
  try {
    const socket = await connect(port);
    const ended = await new Promise<string>((resolve) => {
      socket.on('error', () => resolve('reset'));
      socket.on('end', () => resolve('closed'));
      socket.resume();
    });
    socket.destroy();
    expect(['closed', 'reset']).toContain(ended);
  } finally {
    helper.child.kill('SIGCONT');
  }
  await waitFor(() => helper.stderr().includes('a connection was not forwarded: no client is attached to session lf'), { what: 'the refusal on the helper', describe: helper.stderr });
});
