import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { SWITCHES_ON } from '../../../src/forward/policy.js';
import { startLocalForward, type LocalForward } from '../../../src/forward/port/lf.js';
import { startRemoteForward, type RemoteForward } from '../../../src/forward/port/rf.js';
import type { Port } from '../../../src/forward/params.js';
import { isGrittyError } from '../../../src/relay/errors.js';
import { waitFor } from '../../helpers/wait.js';
import { link, type Link } from '../link.js';
import { connect, freePort, listening, receiveAll, sendRandom, tcpServer } from './streams.js';

/**
 * lf and rf with real TCP servers and clients at both ends, the halves joined by real
 * sockets. lf: the session host listens, the laptop connects; rf: the other way.
 */
const MiB = 1024 * 1024;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function world(options: Parameters<typeof link>[0] = {}): Promise<Link> {
  const made = await link(options);
  cleanups.push(() => made.close());
  return made;
}

/** An HTTP server on 127.0.0.1 that says who it is and what was asked. */
async function httpServer(name: string): Promise<number> {
  const server = await tcpServer((socket) => {
    socket.once('data', (head: Buffer) => {
      const path = head.toString('latin1').split(' ')[1];
      const body = `${name} answers ${path}\n`;
      socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    });
  });
  cleanups.push(() => server.close());
  return server.port;
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function lf(made: Link, listen: number, target: number, refusals: string[] = []): Promise<LocalForward> {
  const forward = await startLocalForward({ spec: { listen: listen as Port, target: target as Port }, open: made.toLaptop.open, onRefused: (reason) => refusals.push(reason) });
  cleanups.push(() => forward.close());
  return forward;
}

async function rf(made: Link, listen: number, target: number, refusals: string[] = []): Promise<RemoteForward> {
  const forward = await startRemoteForward({
    spec: { listen: listen as Port, target: target as Port },
    open: made.toLaptop.open,
    targets: made.targets,
    onRefused: (reason) => refusals.push(reason),
  });
  cleanups.push(() => forward.close());
  return forward;
}

/** Resolves with the bytes received once the far end has closed (EOF or reset) the connection. */
function closedEmpty(socket: Socket): Promise<number> {
  cleanups.push(() => void socket.destroy());
  return new Promise((resolve) => {
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('error', () => {});
    socket.once('end', () => resolve(bytes));
    socket.once('close', () => resolve(bytes));
  });
}

describe('local forward (session port → laptop port)', () => {
  test('carries HTTP from the session to a laptop server', async () => {
    const made = await world();
    const target = await httpServer('the laptop');
    const listen = await freePort();
    await lf(made, listen, target);
    expect(await httpGet(listen, '/db')).toEqual({ status: 200, body: 'the laptop answers /db\n' });
  });

  test('carries 100 MiB each way, byte for byte (sha256)', async () => {
    const made = await world();
    let upload: Promise<{ bytes: number; sha256: string }> | undefined;
    let download: Promise<{ bytes: number; sha256: string }> | undefined;
    const server = await tcpServer((socket) => {
      upload = receiveAll(socket);
      download = sendRandom(socket, 100 * MiB);
    });
    cleanups.push(() => server.close());
    const listen = await freePort();
    await lf(made, listen, server.port);
    const client = await connect(listen);
    const [sent, received] = await Promise.all([sendRandom(client, 100 * MiB), receiveAll(client)]);
    expect(await upload).toEqual(sent);
    expect(received).toEqual(await download);
    expect(sent.bytes).toBe(100 * MiB);
    expect(received.bytes).toBe(100 * MiB);
  });

  test('carries many connections at once', async () => {
    const made = await world();
    const target = await httpServer('the laptop');
    const listen = await freePort();
    await lf(made, listen, target);
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => httpGet(listen, `/${i}`)));
    expect(answers).toEqual(Array.from({ length: 64 }, (_, i) => ({ status: 200, body: `the laptop answers /${i}\n` })));
    await waitFor(() => made.toLaptop.live() === 0, { what: 'every forwarded connection closed' });
  });

  test('a refused target closes the connection and says nothing listens there', async () => {
    const made = await world();
    const [listen, target] = [await freePort(), await freePort()];
    const refusals: string[] = [];
    await lf(made, listen, target, refusals);
    expect(await closedEmpty(await connect(listen))).toBe(0);
    await waitFor(() => refusals.length === 1, { what: 'the refusal' });
    expect(refusals).toEqual([`nothing accepts connections on the laptop's 127.0.0.1:${target} (connect ECONNREFUSED 127.0.0.1:${target})`]);
    expect(made.laptopLog).toEqual([expect.stringContaining(`refused a lf-conn channel from the session: nothing accepts connections on the laptop's 127.0.0.1:${target}`)]);
  });

  test('a busy listening port is a clear error', async () => {
    const made = await world();
    const busy = await tcpServer(() => {});
    cleanups.push(() => busy.close());
    const error = await lf(made, busy.port, 80).catch((err: unknown) => err);
    expect(isGrittyError(error, 'port-busy')).toBe(true);
    expect((error as Error).message).toBe(`port ${busy.port} is already in use on the session host (127.0.0.1:${busy.port}); stop what uses it or pick another port`);
  });

  test('forward-ports off on the laptop: each connection is refused, saying so', async () => {
    const made = await world({ switches: { ...SWITCHES_ON, 'forward-ports': false } });
    const target = await httpServer('the laptop');
    const listen = await freePort();
    const refusals: string[] = [];
    await lf(made, listen, target, refusals);
    expect(await closedEmpty(await connect(listen))).toBe(0);
    await waitFor(() => refusals.length === 1, { what: 'the refusal' });
    expect(refusals[0]).toMatch(/^forward-ports is off on the laptop/);
  });

  test('listens on loopback only', async () => {
    const made = await world();
    const listen = await freePort();
    await lf(made, listen, 80);
    const error = await connect(listen).then(
      (socket) => socket.localAddress,
      (err: Error) => err.message,
    );
    expect(error).toBe('127.0.0.1');
    expect(await listening(listen)).toBe(true);
  });
});

describe('remote forward (laptop port → session port)', () => {
  test('carries HTTP from the laptop browser to a session server, and stops listening when closed', async () => {
    const made = await world();
    const target = await httpServer('the dev server in the session');
    const listen = await freePort();
    const forward = await rf(made, listen, target);
    expect(await httpGet(listen, '/app')).toEqual({ status: 200, body: 'the dev server in the session answers /app\n' });
    forward.close();
    await forward.closed;
    await waitFor(async () => !(await listening(listen)), { what: 'the laptop to stop listening' });
    expect(made.targets.has(target as Port)).toBe(false);
  });

  test('carries 100 MiB each way, byte for byte (sha256), over many connections at once', async () => {
    const made = await world();
    const uploads: Promise<{ bytes: number; sha256: string }>[] = [];
    const downloads: Promise<{ bytes: number; sha256: string }>[] = [];
    const server = await tcpServer((socket) => {
      uploads.push(receiveAll(socket));
      downloads.push(sendRandom(socket, 25 * MiB));
    });
    cleanups.push(() => server.close());
    const listen = await freePort();
    await rf(made, listen, server.port);
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(listen)));
    const results = await Promise.all(clients.map((client) => Promise.all([sendRandom(client, 25 * MiB), receiveAll(client)])));
    const sent = results.map(([s]) => s).sort((a, b) => a.sha256.localeCompare(b.sha256));
    const received = results.map(([, r]) => r).sort((a, b) => a.sha256.localeCompare(b.sha256));
    expect((await Promise.all(uploads)).sort((a, b) => a.sha256.localeCompare(b.sha256))).toEqual(sent);
    expect((await Promise.all(downloads)).sort((a, b) => a.sha256.localeCompare(b.sha256))).toEqual(received);
    expect(received.reduce((sum, r) => sum + r.bytes, 0)).toBe(100 * MiB);
  });

  test('a busy laptop port: the session is told', async () => {
    const made = await world();
    const busy = await tcpServer(() => {});
    cleanups.push(() => busy.close());
    const error = await rf(made, busy.port, 3000).catch((err: unknown) => err);
    expect(isGrittyError(error, 'channel-refused')).toBe(true);
    expect((error as Error).message).toBe(`port ${busy.port} is already in use on the laptop (127.0.0.1:${busy.port}); stop what uses it or pick another port`);
    expect(made.targets.has(3000 as Port)).toBe(false);
  });

  test('forward-ports off: refused, and the laptop binds nothing', async () => {
    const made = await world({ switches: { ...SWITCHES_ON, 'forward-ports': false } });
    const listen = await freePort();
    const error = await rf(made, listen, 3000).catch((err: unknown) => err);
    expect((error as Error).message).toMatch(/^forward-ports is off on the laptop/);
    expect(await listening(listen)).toBe(false);
  });

  test('nothing listening on the session target: the connection closes, and gritty rf and both logs say why', async () => {
    const made = await world();
    const [listen, target] = [await freePort(), await freePort()];
    const refusals: string[] = [];
    await rf(made, listen, target, refusals);
    expect(await closedEmpty(await connect(listen))).toBe(0);
    const why = `nothing accepts connections on the session host's 127.0.0.1:${target} (connect ECONNREFUSED 127.0.0.1:${target}); start the server there first`;
    await waitFor(() => made.laptopLog.length === 1, { what: 'the laptop to log the refusal' });
    expect(refusals).toEqual([why]);
    expect(made.sessionLog).toEqual([`refused a rf-conn channel from the laptop: ${why}`]);
    expect(made.laptopLog).toEqual([`the session refused a connection to its port ${target} (from the laptop's ${listen}): ${why}`]);
  });

  test('the session host connects rf-conn only to a target an active rf named', async () => {
    const made = await world();
    const target = await httpServer('an unrelated session service');
    const error = await made.toSession.open('rf-conn', { target }).catch((err: unknown) => err);
    expect((error as Error).message).toBe(`no gritty rf to port ${target} is running in this session`);
    const listen = await freePort();
    const forward = await rf(made, listen, target);
    expect(await httpGet(listen, '/')).toMatchObject({ status: 200 });
    forward.close();
    await forward.closed;
    expect(await made.toSession.open('rf-conn', { target }).catch((err: Error) => err.message)).toBe(`no gritty rf to port ${target} is running in this session`);
  });

  test('detaching the laptop closes its remote-forward listeners', async () => {
    const made = await world();
    const listen = await freePort();
    await rf(made, listen, 3000);
    expect(await listening(listen)).toBe(true);
    await made.laptop.close();
    expect(await listening(listen)).toBe(false);
  });
});

describe('a hostile session cannot make the laptop bind or connect what it likes', () => {
  test.each([
    ['rf-listen', { listen: 0, target: 80 }, /field listen: expected a port 1-65535, got 0/],
    ['rf-listen', { listen: 65_536, target: 80 }, /field listen: expected a port 1-65535, got 65536/],
    ['rf-listen', { listen: -1, target: 80 }, /got -1/],
    ['rf-listen', { listen: '8080', target: 80 }, /got "8080"/],
    ['rf-listen', { listen: 8080.5, target: 80 }, /got 8080.5/],
    ['rf-listen', { listen: 8080 }, /field target: .*got nothing/],
    ['lf-conn', { target: 0 }, /got 0/],
    ['lf-conn', { target: true }, /got boolean/],
    ['lf-conn', { target: `\x1b[2J${'9'.repeat(100_000)}` }, /got "\\e\[2J9+"…/],
    ['rf-conn', { target: 80 }, /only be opened by the laptop/],
    ['oauth-callback', { port: 80 }, /only be opened by the laptop/],
  ] as const)('%s %j is refused', async (kind, params, reason) => {
    const made = await world();
    const error = await made.toLaptop.open(kind, params as never).catch((err: unknown) => err);
    expect(isGrittyError(error, 'channel-refused')).toBe(true);
    expect((error as Error).message).toMatch(reason);
    expect(made.laptopLog.join('\n')).not.toMatch(/\x1b/);
  });
});

describe('bounded memory: a reader that stops reading stops its writer', () => {
  /** Pushes up to `limit` bytes with backpressure; `written` says how far it got. */
  function producer(socket: Socket, limit: number): { written: () => number } {
    let written = 0;
    void (async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      while (written < limit && !socket.destroyed) {
        written += chunk.length;
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
      }
    })();
    socket.on('error', () => {});
    return { written: () => written };
  }

  /** Waits until `written` has not moved for 20 polls in a row (about a second): the writer is stalled. */
  async function stalled(written: () => number): Promise<number> {
    let last = -1;
    let still = 0;
    return waitFor(
      () => {
        const now = written();
        still = now === last ? still + 1 : 0;
        last = now;
        return still >= 20 && now;
      },
      { what: 'the writer to stall', timeoutMs: 30_000, describe: () => `${written()} bytes written` },
    );
  }

  /** Far more than fits in every socket buffer on the way; a forward without backpressure would take it all. */
  const LIMIT = 1024 * MiB;
  /** Kernel socket buffers on the way (two TCP connections, auto-tuned, plus the channel's) hold a few MiB each. */
  const IN_FLIGHT_BOUND = 48 * MiB;

  test.each(['session-side reader', 'laptop-side reader'] as const)('lf with a stalled %s', async (which) => {
    const made = await world();
    let far: { written: () => number } | undefined;
    const server = await tcpServer((socket) => {
      if (which === 'session-side reader') far = producer(socket, LIMIT);
      else socket.pause();
    });
    cleanups.push(() => server.close());
    const listen = await freePort();
    await lf(made, listen, server.port);
    const client = await connect(listen);
    cleanups.push(() => void client.destroy());
    const rssBefore = process.memoryUsage().rss;
    const near = which === 'session-side reader' ? (client.pause(), undefined) : producer(client, LIMIT);
    const writer = (near ?? (await waitFor(() => far, { what: 'the laptop server to start writing' }))).written;
    const reached = await stalled(writer);
    expect(reached).toBeGreaterThan(0);
    expect(reached).toBeLessThan(IN_FLIGHT_BOUND);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(IN_FLIGHT_BOUND);
  });

  test('rf with a stalled laptop-side reader', async () => {
    const made = await world();
    let far: { written: () => number } | undefined;
    const server = await tcpServer((socket) => (far = producer(socket, LIMIT)));
    cleanups.push(() => server.close());
    const listen = await freePort();
    await rf(made, listen, server.port);
    const client = await connect(listen);
    client.pause();
    cleanups.push(() => void client.destroy());
    const rssBefore = process.memoryUsage().rss;
    const reached = await stalled((await waitFor(() => far, { what: 'the session server to start writing' })).written);
    expect(reached).toBeLessThan(IN_FLIGHT_BOUND);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(IN_FLIGHT_BOUND);
  });
});
