import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { GRITTY_BIN } from '../helpers/daemon.js';
import { E2eScope, INNER_PROMPT, innerShell } from '../helpers/terminal.js';
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
