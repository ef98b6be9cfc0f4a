import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { GRITTY_BIN } from '../../helpers/daemon.js';
import { RemoteWorlds, startClient } from '../../helpers/remote-world.js';
import { tunnelSshes } from '../../helpers/sshd.js';
import { INNER_PROMPT } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * The laptop's tools in a remote session, end to end over a private sshd whose host
 * has its own network namespace (so the session's loopback is not the laptop's): the
 * ssh-agent, URL open with an OAuth callback, and port forwards both ways, through a
 * killed tunnel.
 */
let worlds: RemoteWorlds | undefined;
const servers: Server[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const server of servers.splice(0)) server.close();
  worlds?.cleanup();
  worlds = undefined;
});

const STREAM_BYTES = 100 << 20;
/** Its steps wait with their own bounds; 100 MiB through ssh with a tunnel killed midway takes over a minute on a loaded 2-core host. */
const STREAM_TEST_TIMEOUT_MS = 240_000;

/** Deterministic bytes, so both ends agree without sending a hash along. */
function block(i: number): Buffer {
  return createHash('sha512').update(`block ${i}`).digest();
}

function streamSha(bytes: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i * 64 < bytes; i++) hash.update(block(i).subarray(0, Math.min(64, bytes - i * 64)));
  return hash.digest('hex');
}

/** A laptop server that sends the deterministic stream to whoever connects, with backpressure. */
async function streamServer(bytes: number): Promise<number> {
  const server = createServer((socket) => {
    let i = 0;
    const pump = (): void => {
      while (i * 64 < bytes) {
        const chunk = Buffer.concat(Array.from({ length: 1024 }, (_, k) => block(i + k))).subarray(0, Math.min(64 * 1024, bytes - i * 64));
        i += 1024;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    socket.on('error', () => undefined);
    pump();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A script for the session: reads a TCP port to its end, hashing, writing progress as it goes. */
function consumerScript(dir: string): string {
  const path = join(dir, 'consume.mjs');
  writeFileSync(
    path,
    [
      "import { createHash } from 'node:crypto';",
      "import { writeFileSync } from 'node:fs';",
      "import { connect } from 'node:net';",
      'const [port, progress] = process.argv.slice(2);',
      "const hash = createHash('sha256');",
      'let bytes = 0; let mark = 0;',
      "const socket = connect(Number(port), '127.0.0.1');",
      "socket.on('data', (d) => { hash.update(d); bytes += d.length; if (bytes - mark >= 1 << 20) { mark = bytes; writeFileSync(progress, String(bytes)); } });",
      "socket.on('end', () => { writeFileSync(progress, String(bytes)); console.log(`got ${bytes} ${hash.digest('hex')}`); });",
      "socket.on('error', (e) => { console.log(`error ${e.message}`); process.exit(1); });",
      '',
    ].join('\n'),
  );
  return path;
}

test('a 100 MiB stream through gritty lf survives kill -9 of the tunnel ssh byte-exactly, and typing keeps echoing meanwhile', { timeout: STREAM_TEST_TIMEOUT_MS }, async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { cols: 160 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  const port = await streamServer(STREAM_BYTES);
  const consumer = consumerScript(laptop.root);
  const progress = join(laptop.root, 'progress');

  const lfLog = join(laptop.root, 'lf.log');
  term.line(`${GRITTY_BIN} lf 17001:${port} 2>${lfLog} &`);
  await waitFor(() => existsSync(lfLog) && readFileSync(lfLog, 'utf8').includes('Ctrl-C stops'), { what: 'gritty lf to listen', describe: () => term.screen() });
  term.line(`node ${consumer} 17001 ${progress} > ${join(laptop.root, 'result')} &`);
  await waitFor(() => existsSync(progress) && Number(readFileSync(progress, 'utf8')) >= 20 << 20, { what: '20 MiB through the forward', timeoutMs: 30_000, describe: () => term.screen() });
  const [ssh] = tunnelSshes(laptop);
  process.kill(ssh!.pid, 'SIGKILL');
  // the session is usable while the stream goes on
  term.line('echo typed-$((6*7))');
  await term.waitFor(/^typed-42$/m, { timeoutMs: 30_000 });
  await waitFor(() => existsSync(join(laptop.root, 'result')) && readFileSync(join(laptop.root, 'result'), 'utf8').includes('\n'), {
    what: 'the stream to end',
    timeoutMs: 90_000,
  });
  expect(readFileSync(join(laptop.root, 'result'), 'utf8').trim()).toBe(`got ${STREAM_BYTES} ${streamSha(STREAM_BYTES)}`);
  const [replacement] = tunnelSshes(laptop);
  expect(replacement?.pid).not.toBe(ssh!.pid);
});

test("the session's SSH_AUTH_SOCK reaches the laptop's ssh-agent: ssh-add and an ssh login with the forwarded key, in a tmux pane, and after kill -9 of the tunnel", async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const keyDir = join(laptop.root, 'keys');
  mkdirSync(keyDir, { mode: 0o700 });
  expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'laptop-key-for-gritty', '-f', join(keyDir, 'id')]).status).toBe(0);
  const agentSock = join(keyDir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
  children.push(agent);
  await waitFor(() => existsSync(agentSock), { what: 'the laptop ssh-agent' });
  expect(spawnSync('ssh-add', [join(keyDir, 'id')], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } }).status).toBe(0);
  laptop.env.SSH_AUTH_SOCK = agentSock;
  // the devbox lets this key in, so a login from inside the session can only work through the forwarded agent
  appendFileSync(join(worlds.sshd.dir, 'authorized_keys'), readFileSync(join(keyDir, 'id.pub')));
  const login = `ssh -F ${worlds.sshd.sshConfig} -o IdentitiesOnly=no -o IdentityFile=none devbox echo logged-in-$((6*7))`;

  const term = await worlds.terminal(laptop, { cols: 200 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  term.line('ssh-add -l; echo agent-$?');
  await term.waitFor(/^agent-0$/m, { timeoutMs: 20_000 });
  expect(term.screen()).toContain('laptop-key-for-gritty');
  term.line(login);
  await term.waitFor(/^logged-in-42$/m, { timeoutMs: 20_000 });

  const [ssh] = tunnelSshes(laptop);
  process.kill(ssh!.pid, 'SIGKILL');
  term.line('clear; ssh-add -l; echo again-$?');
  await term.waitFor(/^again-0$/m, { timeoutMs: 30_000 });
  expect(term.screen()).toContain('laptop-key-for-gritty');

  // a tmux pane started in the session keeps the same, still valid, socket
  term.line(`clear; tmux -L gritty-e2e -f /dev/null new-session -d "ssh-add -l > ${join(laptop.root, 'pane.txt')} 2>&1; ${login} >> ${join(laptop.root, 'pane.txt')} 2>&1"; echo tmux-started`);
  await waitFor(() => existsSync(join(laptop.root, 'pane.txt')) && readFileSync(join(laptop.root, 'pane.txt'), 'utf8').includes('logged-in-42'), {
    what: 'ssh-add and a login from a tmux pane',
    timeoutMs: 30_000,
    describe: () => term.screen(),
  });
  expect(readFileSync(join(laptop.root, 'pane.txt'), 'utf8')).toContain('laptop-key-for-gritty');
});

test('gritty rf serves a dev server of the session on the laptop, and gritty open hands the laptop a URL whose OAuth callback comes back', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const opened = join(laptop.root, 'opened.txt');
  const recorder = join(laptop.root, 'record-url');
  writeFileSync(recorder, `#!/bin/sh\nprintf '%s\\n' "$1" >> ${opened}\n`, { mode: 0o755 });
  mkdirSync(join(laptop.env.XDG_CONFIG_HOME!, 'gritty'), { recursive: true });
  writeFileSync(join(laptop.env.XDG_CONFIG_HOME!, 'gritty', 'config.toml'), `[defaults]\nopen-command = "${recorder}"\n`);
  const server = join(laptop.root, 'serve.mjs');
  writeFileSync(
    server,
    "import { createServer } from 'node:http';\ncreateServer((req, res) => res.end(`session says ${req.url}\\n`)).listen(Number(process.argv[2]), '127.0.0.1');\n",
  );

  const term = await worlds.terminal(laptop, { cols: 160 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  // two servers on the session host's own loopback
  term.line(`node ${server} 18000 & node ${server} 18555 & ${GRITTY_BIN} rf 18080:18000 &`);
  const fetched = await waitFor(
    async () => {
      const res = await fetch('http://127.0.0.1:18080/hello').catch(() => undefined);
      return res === undefined ? undefined : res.text();
    },
    { what: 'the session dev server on the laptop', timeoutMs: 30_000, describe: () => term.screen() },
  );
  expect(fetched).toBe('session says /hello\n');
  // a forward to a port nothing in the session serves: the laptop's connection is
  // closed, and the gritty rf that asked for it says why
  term.line(`${GRITTY_BIN} rf 18081:18999 &`);
  await term.waitFor("127.0.0.1:18081 -> 127.0.0.1:18999 here; Ctrl-C stops", { timeoutMs: 20_000 });
  await waitFor(async () => (await fetch('http://127.0.0.1:18081/').then(() => 'answered', (err: Error) => err.message)) !== 'answered' && /a connection was not forwarded: nothing accepts connections on the session host's 127\.0\.0\.1:18999/.test(term.screen()), {
    what: 'gritty rf to report the refused connection',
    timeoutMs: 20_000,
    describe: () => term.screen(),
  });

  const url = 'https://auth.example.test/authorize?client_id=x&redirect_uri=http%3A%2F%2Flocalhost%3A18555%2Fcallback';
  term.line(`${GRITTY_BIN} open '${url}'; echo open-$?; $BROWSER https://example.test/plain; echo browser-$?`);
  await term.waitFor(/^browser-0$/m, { timeoutMs: 20_000 });
  expect(term.screen()).toMatch(/^open-0$/m);
  expect(readFileSync(opened, 'utf8').split('\n').filter(Boolean)).toEqual([url, 'https://example.test/plain']);
  // the browser on the laptop follows the redirect: the callback reaches the session's server
  const callback = await (await fetch('http://127.0.0.1:18555/callback?code=abc')).text();
  expect(callback).toBe('session says /callback?code=abc\n');
});
