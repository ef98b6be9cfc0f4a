import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { laptopForwarding, type LaptopForwardOptions, type LaptopForwarding } from '../../../src/forward/laptop.js';
import { openOnLaptop } from '../../../src/forward/open/session-side.js';
import { OAUTH_IDLE_TIMEOUT_MS, OAUTH_TIMEOUT_MS } from '../../../src/forward/open/oauth-listener.js';
import { POLICY, SWITCHES_ON } from '../../../src/forward/policy.js';
import { isGrittyError } from '../../../src/relay/errors.js';
import { channelPair, remoteOpen, type ChannelPair } from '../../helpers/channel-pair.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * URL open and OAuth callback tunnelling, laptop half and session half, with a real
 * HTTP callback server on a session host in its own network namespace and a scripted
 * browser (the laptop's open-command) that follows the redirect like a person would.
 */
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '../../..');

let dir: string;
let host: ChildProcess;
const hostEvents: Record<string, unknown>[] = [];
/** Callback ports on the session host, each free on the laptop too. */
const port = { v4: 0, v6: 0, localhost: 0, second: 0 };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-open-'));
  chmodSync(dir, 0o700);
  for (const key of Object.keys(port) as (keyof typeof port)[]) port[key] = await freePort();
  const listens = [
    { host: '127.0.0.1', port: port.v4 },
    { host: '::1', port: port.v6 },
    { host: '127.0.0.1', port: port.localhost },
    { host: '127.0.0.1', port: port.second },
  ];
  host = spawn('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec ${join(ROOT, 'node_modules/.bin/vite-node')} ${join(HERE, 'session-host.ts')}`], {
    cwd: ROOT,
    env: { ...process.env, CHANNEL_SOCK: join(dir, 'session-host.sock'), CALLBACK_LISTENS: JSON.stringify(listens) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let partial = '';
  host.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) hostEvents.push(JSON.parse(line) as Record<string, unknown>);
  });
  await waitFor(() => hostEvents.some((event) => event.ready === true), { what: 'the session host in its namespace', timeoutMs: 30_000 });
});

afterAll(() => {
  host.kill();
  rmSync(dir, { recursive: true, force: true });
});

interface Laptop {
  forwarding: LaptopForwarding;
  /** The session's way to the laptop. */
  toLaptop: ChannelPair;
  log: string[];
  record: string;
}

const laptops: Laptop[] = [];
const squatters: Server[] = [];
const squatted: Socket[] = [];

afterEach(async () => {
  for (const laptop of laptops.splice(0)) {
    await laptop.forwarding.close();
    await laptop.toLaptop.close();
  }
  for (const socket of squatted.splice(0)) socket.destroy();
  await Promise.all(squatters.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

let nextRecord = 0;

async function laptop(options: Partial<LaptopForwardOptions> = {}): Promise<Laptop> {
  const record = join(dir, `browser-${nextRecord++}.jsonl`);
  const log: string[] = [];
  const forwarding = laptopForwarding({
    switches: SWITCHES_ON,
    agentSocket: undefined,
    openCommand: `node '${join(HERE, 'browser.mjs')}' '${record}'`,
    oauth: { flowMs: OAUTH_TIMEOUT_MS, idleMs: OAUTH_IDLE_TIMEOUT_MS },
    open: remoteOpen(join(dir, 'session-host.sock')),
    log: (line) => log.push(line),
    ...options,
  });
  const made = { forwarding, toLaptop: await channelPair(forwarding.accept), log, record };
  laptops.push(made);
  return made;
}

interface Visit {
  argc: number;
  url: string;
  status?: number;
  body?: string;
  error?: string;
}

function visits(record: string): Visit[] {
  if (!existsSync(record)) return [];
  return readFileSync(record, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Visit);
}

function visited(record: string, count = 1): Promise<Visit[]> {
  return waitFor(() => visits(record).length >= count && visits(record), { what: `${count} browser visit(s) in ${record}` });
}

/**
 * Whether something listens on the laptop's loopback at host:port, found by trying to
 * bind it: a probe that connected would itself count as callback traffic.
 */
function listening(hostname: string, at: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ host: hostname, port: at, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

const authorize = (redirect: string, encode: boolean): string =>
  `https://auth.example.com/authorize?client_id=gh&state=xyz&redirect_uri=${encode ? encodeURIComponent(redirect) : redirect}&scope=repo`;

describe('an OAuth sign-in started in the session completes through the laptop browser', () => {
  test.each([
    ['an encoded redirect_uri to 127.0.0.1', () => port.v4, 'http://127.0.0.1:PORT/callback', true, '127.0.0.1'],
    ['an unencoded redirect_uri to localhost', () => port.localhost, 'http://localhost:PORT/callback', false, '127.0.0.1'],
    ['a redirect_uri to [::1]', () => port.v6, 'http://[::1]:PORT/callback', true, '::1'],
  ])('with %s', async (_, portOf, redirect, encode, reached) => {
    const at = portOf();
    const { toLaptop, record, log } = await laptop();
    const url = authorize(redirect.replace('PORT', String(at)), encode);
    expect(await openOnLaptop(toLaptop.open, url)).toEqual({ opened: true, notices: [] });
    const [visit] = await visited(record);
    expect(visit).toMatchObject({ argc: 2, url: new URL(url).href, status: 200, body: `signed in on the session host via ${reached}:${at} with c0de\n` });
    expect(hostEvents).toContainEqual({ callback: { host: reached, port: at, url: '/callback?code=c0de' } });
    expect(log).toEqual([]);
  });

  test('two sign-ins at once each reach their own callback', async () => {
    const { toLaptop, record } = await laptop();
    const urls = [authorize(`http://127.0.0.1:${port.v4}/one`, true), authorize(`http://127.0.0.1:${port.second}/two`, true)];
    const outcomes = await Promise.all(urls.map((url) => openOnLaptop(toLaptop.open, url)));
    expect(outcomes).toEqual([{ opened: true, notices: [] }, { opened: true, notices: [] }]);
    const done = await visited(record, 2);
    expect(done.map((visit) => visit.body).sort()).toEqual(
      [`signed in on the session host via 127.0.0.1:${port.v4} with c0de\n`, `signed in on the session host via 127.0.0.1:${port.second} with c0de\n`].sort(),
    );
  });

  test('two sign-ins at once naming the same port share one listener', async () => {
    const { toLaptop, record } = await laptop();
    const urls = [authorize(`http://127.0.0.1:${port.v4}/one`, true), authorize(`http://127.0.0.1:${port.v4}/two`, false)];
    const outcomes = await Promise.all(urls.map((url) => openOnLaptop(toLaptop.open, url)));
    expect(outcomes).toEqual([{ opened: true, notices: [] }, { opened: true, notices: [] }]);
    expect((await visited(record, 2)).map((visit) => visit.status)).toEqual([200, 200]);
  });

  test('with no open-command, the open package opens it (xdg-open, then $BROWSER here)', async () => {
    const record = join(dir, 'default-browser.jsonl');
    const wrapper = join(dir, 'default-browser.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec node '${join(HERE, 'browser.mjs')}' '${record}' "$@"\n`, { mode: 0o700 });
    const saved = process.env.BROWSER;
    process.env.BROWSER = wrapper;
    try {
      const { toLaptop } = await laptop({ openCommand: undefined });
      const url = authorize(`http://localhost:${port.localhost}/cb`, true);
      expect(await openOnLaptop(toLaptop.open, url)).toEqual({ opened: true, notices: [] });
      expect(await visited(record)).toMatchObject([{ url: new URL(url).href, status: 200 }]);
    } finally {
      if (saved === undefined) delete process.env.BROWSER;
      else process.env.BROWSER = saved;
    }
  });

  test('the callback listener closes once the flow has gone idle', async () => {
    const { toLaptop, record } = await laptop({ oauth: { flowMs: OAUTH_TIMEOUT_MS, idleMs: 200 } });
    await openOnLaptop(toLaptop.open, authorize(`http://127.0.0.1:${port.v4}/cb`, true));
    await visited(record);
    await waitFor(async () => !(await listening('127.0.0.1', port.v4)), { what: 'the laptop to stop listening on the callback port' });
  });

  test('a callback listener nobody calls closes at the OAuth timeout', async () => {
    const { toLaptop } = await laptop({ openCommand: 'true', oauth: { flowMs: 300, idleMs: OAUTH_IDLE_TIMEOUT_MS } });
    await openOnLaptop(toLaptop.open, authorize(`http://127.0.0.1:${port.v4}/cb`, true));
    expect(await listening('127.0.0.1', port.v4)).toBe(true);
    await waitFor(async () => !(await listening('127.0.0.1', port.v4)), { what: 'the listener to close at the flow timeout' });
  });
});

describe('when the callback cannot be tunnelled, the URL still opens', () => {
  test('a busy laptop port: the person running gritty open is told, clearly', async () => {
    const squatter = createServer((socket) => {
      squatted.push(socket);
      socket.end('HTTP/1.1 418 Teapot\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve) => squatter.listen(port.v4, '127.0.0.1', resolve));
    squatters.push(squatter);
    const { toLaptop, record } = await laptop();
    const outcome = await openOnLaptop(toLaptop.open, authorize(`http://127.0.0.1:${port.v4}/cb`, true));
    expect(outcome).toEqual({
      opened: true,
      notices: [`port ${port.v4} is already in use on the laptop, for the sign-in's callback (127.0.0.1:${port.v4}); stop what uses it or pick another port. The sign-in cannot call back into the session; the URL was opened anyway.`],
    });
    expect(await visited(record)).toMatchObject([{ status: 418 }]);
  });

  test('oauth-redirect off: opened, and nothing listens on the laptop', async () => {
    const { toLaptop, record } = await laptop({ switches: { ...SWITCHES_ON, 'oauth-redirect': false } });
    expect(await openOnLaptop(toLaptop.open, authorize(`http://127.0.0.1:${port.v4}/cb`, true))).toEqual({ opened: true, notices: [] });
    expect(await visited(record)).toMatchObject([{ error: 'ECONNREFUSED' }]);
  });

  test('a redirect to a host that is not loopback binds nothing', async () => {
    const { toLaptop, record } = await laptop({ openCommand: 'true' });
    expect(await openOnLaptop(toLaptop.open, authorize(`http://auth-callback.example.com:${port.v4}/cb`, true))).toEqual({ opened: true, notices: [] });
    expect(await listening('127.0.0.1', port.v4)).toBe(false);
    expect(visits(record)).toEqual([]);
  });
});

describe('gritty open when the laptop will not open the URL says why and shows the URL', () => {
  const url = 'https://example.com/device?code=ABCD';

  test('forward-open off', async () => {
    const { toLaptop, record, log } = await laptop({ switches: { ...SWITCHES_ON, 'forward-open': false } });
    expect(await openOnLaptop(toLaptop.open, url)).toEqual({
      opened: false,
      message: expect.stringMatching(/^gritty open: the laptop did not open the URL \(forward-open is off on the laptop .*\)\. Open it yourself:\n {2}https:\/\/example\.com\/device\?code=ABCD$/),
    });
    expect(log).toEqual([expect.stringMatching(/refused a open-url channel from the session: forward-open is off/)]);
    expect(visits(record)).toEqual([]);
  });

  test('no client attached', async () => {
    const { toLaptop } = await laptop();
    toLaptop.detach();
    expect(await openOnLaptop(toLaptop.open, url)).toEqual({ opened: false, message: expect.stringMatching(/no client is attached to this session\)\. Open it yourself:\n {2}https:\/\/example\.com\//) });
  });

  test('not an http URL: refused in the session, before asking the laptop', async () => {
    const { toLaptop } = await laptop();
    expect(await openOnLaptop(toLaptop.open, 'file:///etc/passwd')).toEqual({ opened: false, message: 'gritty open: only http and https URLs are opened, not file:; not opened:\n  file:///etc/passwd' });
    expect(toLaptop.opens).toEqual([]);
  });

  test('the rate limit', async () => {
    const { toLaptop, record } = await laptop({ openCommand: `node '${join(HERE, 'browser.mjs')}' '${join(dir, 'rate.jsonl')}'`, now: () => 0 });
    const { burst } = POLICY['open-url'].rate;
    for (let i = 0; i < burst; i++) expect(await openOnLaptop(toLaptop.open, `${url}&n=${i}`)).toMatchObject({ opened: true });
    expect(await openOnLaptop(toLaptop.open, url)).toEqual({ opened: false, message: expect.stringMatching(/too many open-url channels/) });
    await visited(join(dir, 'rate.jsonl'), burst);
    expect(visits(join(dir, 'rate.jsonl'))).toHaveLength(burst);
    expect(visits(record)).toEqual([]);
  });

  test('an open-command that cannot start: refused, and the callback port is let go', async () => {
    const { toLaptop } = await laptop({ openCommand: join(dir, 'no-such-browser') });
    const outcome = await openOnLaptop(toLaptop.open, authorize(`http://127.0.0.1:${port.v4}/cb`, true));
    expect(outcome).toEqual({ opened: false, message: expect.stringMatching(/the laptop could not open the URL: spawn .*no-such-browser ENOENT/) });
    expect(await listening('127.0.0.1', port.v4)).toBe(false);
  });
});

describe('a hostile session cannot make the laptop open or bind what it likes', () => {
  /** What the laptop answers to a raw open from the session, and that it launched nothing. */
  async function refusedRaw(kind: Parameters<ChannelPair['open']>[0], params: Record<string, unknown>): Promise<string> {
    const { toLaptop, record } = await laptop();
    const error = await toLaptop.open(kind, params as never).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isGrittyError(error, 'channel-refused'), String(error)).toBe(true);
    expect(visits(record)).toEqual([]);
    return (error as Error).message;
  }

  test.each([
    [{ url: 'javascript:alert(document.cookie)' }, /only http and https/],
    [{ url: 'file:///etc/passwd' }, /only http and https/],
    [{ url: 'https://example.com/\x1b]52;c;aGk=\x07' }, /control characters/],
    [{ url: 'https://example.com/\nhttps://evil.com' }, /control characters/],
    [{ url: `https://example.com/${'a'.repeat(1_000_000)}` }, /longer than 8192/],
    [{ url: 42 }, /expected a string, got 42/],
    [{ url: true }, /expected a string, got boolean/],
    [{}, /expected a string, got nothing/],
    [{ url: '--new-window=evil' }, /not a valid absolute URL/],
    [{ url: 'https://user:pass@example.com/' }, /user name or password/],
  ])('open-url %#: refused (%j)', async (params, reason) => {
    expect(await refusedRaw('open-url', params)).toMatch(reason);
  });

  test('an oauth-callback channel opened by the session is refused: only the laptop opens those', async () => {
    expect(await refusedRaw('oauth-callback', { port: port.v4 })).toMatch(/only be opened by the laptop/);
    expect(await listening('127.0.0.1', port.v4)).toBe(false);
  });

  test('a refusal is logged with control characters escaped', async () => {
    const { toLaptop, log } = await laptop();
    await toLaptop.open('open-url', { url: 'javascript:\x1b[31m' }).catch(() => undefined);
    await toLaptop.open('\x1b]0;title\x07' as never, {}).catch(() => undefined);
    expect(log.join('\n')).not.toMatch(/\x1b|\x07/);
    expect(log).toEqual([expect.stringMatching(/control characters/), expect.stringMatching(/unknown channel kind "\\e\]0;title\\x07"/)]);
  });

  test('the URL reaches the open-command as one argument, normalised, never through a shell', async () => {
    const { toLaptop, record } = await laptop();
    const tricky = "https://example.com/a b;$(touch pwned)'\"&x=`id`";
    expect(await openOnLaptop(toLaptop.open, tricky)).toMatchObject({ opened: true });
    const [visit] = await visited(record);
    expect(visit).toMatchObject({ argc: 2, url: new URL(tricky).href });
    expect(existsSync(join(ROOT, 'pwned'))).toBe(false);
  });
});
