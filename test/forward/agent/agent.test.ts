import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { listenAgentSocket } from '../../../src/forward/agent/session-side.js';
import { POLICY, SWITCHES_ON } from '../../../src/forward/policy.js';
import { ensurePrivateDir, socketAlive } from '../../../src/relay/secure-socket.js';
import { waitFor } from '../../helpers/wait.js';
import { link, run, type Link } from '../link.js';

/**
 * The ssh-agent halves with a REAL ssh-agent holding a generated key on the "laptop",
 * real ssh-add and ssh-keygen in the "session", and the halves joined by real sockets.
 */
let dir: string;
let laptopAgent: string;
let agent: ChildProcess;
let fingerprint: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gritty-agent-'));
  chmodSync(dir, 0o700);
  laptopAgent = join(dir, 'laptop-agent.sock');
  expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gritty-test', '-f', join(dir, 'key')])).exit).toBe(0);
  agent = spawn('ssh-agent', ['-D', '-a', laptopAgent], { stdio: 'ignore' });
  await waitFor(() => socketAlive(laptopAgent), { what: 'the laptop ssh-agent' });
  expect((await run('ssh-add', ['-q', join(dir, 'key')], { SSH_AUTH_SOCK: laptopAgent })).exit).toBe(0);
  // the private half now lives only in the laptop's agent: signing below must go through it
  renameSync(join(dir, 'key'), join(dir, 'key.moved-away'));
  fingerprint = (await run('ssh-keygen', ['-lf', join(dir, 'key.pub')])).stdout.split(' ')[1]!;
  expect(fingerprint).toMatch(/^SHA256:/);
});

afterAll(() => {
  agent.kill();
  rmSync(dir, { recursive: true, force: true });
});

let world: Link | undefined;
let server: Server | undefined;
const refusals: string[] = [];

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await world?.close();
  server = undefined;
  world = undefined;
  refusals.length = 0;
});

/** A session whose SSH_AUTH_SOCK is the agent half, linked to a laptop with `options`. */
async function session(options: Parameters<typeof link>[0]): Promise<{ sock: string; world: Link }> {
  world = await link(options);
  const privateDir = join(dir, `session-${Math.random().toString(36).slice(2)}`);
  ensurePrivateDir(privateDir);
  const sock = join(privateDir, 'agent.sock');
  const linked = world;
  server = await listenAgentSocket({ path: sock, open: (kind, params) => linked.toLaptop.open(kind, params), onRefused: (reason) => refusals.push(reason) });
  return { sock, world: linked };
}

/** One raw agent request (SSH_AGENTC_REQUEST_IDENTITIES): 'answered' with identities, or 'closed' on us. */
function requestIdentities(path: string): Promise<'answered' | 'closed'> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.on('error', () => {});
    socket.write(Buffer.from([0, 0, 0, 1, 11]));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data[4] === 12 ? 'answered' : 'closed');
    });
    socket.once('close', () => resolve('closed'));
  });
}

describe('through the forwarded agent', () => {
  test('ssh-add -l in the session lists the key held by the laptop agent', async () => {
    const { sock } = await session({ agentSocket: laptopAgent });
    const listed = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock });
    expect(listed).toMatchObject({ exit: 0, stderr: '' });
    expect(listed.stdout).toContain(fingerprint);
    expect(listed.stdout).toContain('gritty-test');
  });

  test('a signature made in the session uses the laptop key, and verifies', async () => {
    const { sock } = await session({ agentSocket: laptopAgent });
    const message = join(dir, 'message.txt');
    writeFileSync(message, 'signed through gritty\n');
    const signed = await run('ssh-keygen', ['-Y', 'sign', '-n', 'gritty', '-f', join(dir, 'key.pub'), message], { SSH_AUTH_SOCK: sock });
    expect(signed.exit, signed.stderr).toBe(0);
    const checked = await run('sh', ['-c', `ssh-keygen -Y check-novalidate -n gritty -s '${message}.sig' < '${message}'`]);
    expect(checked.stdout).toMatch(/Good "gritty" signature/);
  });

  test('the same session socket follows a takeover to the new laptop and its own agent', async () => {
    const second = join(dir, 'second');
    const secondAgentSock = join(dir, 'second-agent.sock');
    expect((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'second-laptop', '-f', second])).exit).toBe(0);
    const secondAgent = spawn('ssh-agent', ['-D', '-a', secondAgentSock], { stdio: 'ignore' });
    try {
      await waitFor(() => socketAlive(secondAgentSock), { what: 'the second laptop agent' });
      expect((await run('ssh-add', ['-q', second], { SSH_AUTH_SOCK: secondAgentSock })).exit).toBe(0);
      const first = await link({ agentSocket: laptopAgent });
      const other = await link({ agentSocket: secondAgentSock });
      let attached = first;
      const privateDir = join(dir, 'takeover');
      ensurePrivateDir(privateDir);
      const sock = join(privateDir, 'agent.sock');
      server = await listenAgentSocket({ path: sock, open: (kind, params) => attached.toLaptop.open(kind, params) });
      try {
        expect((await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock })).stdout).toMatch(/gritty-test/);
        attached = other;
        const listed = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock });
        expect(listed.stdout).toMatch(/second-laptop/);
        expect(listed.stdout).not.toMatch(/gritty-test/);
      } finally {
        await Promise.all([first.close(), other.close()]);
      }
    } finally {
      secondAgent.kill();
    }
  });

  test('many agent connections at once all get their answer', async () => {
    const { sock, world } = await session({ agentSocket: laptopAgent });
    const answers = await Promise.all(Array.from({ length: 20 }, () => requestIdentities(sock)));
    expect(answers).toEqual(Array(20).fill('answered'));
    await waitFor(() => world.toLaptop.live() === 0, { what: 'every agent channel closed' });
  });

  test('the session agent socket is private to the user', async () => {
    const { sock } = await session({ agentSocket: laptopAgent });
    expect(statSync(sock).mode & 0o777).toBe(0o600);
  });
});

describe('an agent that cannot be reached fails at once, never hangs', () => {
  /** ssh-add's own words for a connection the agent closed: a failed agent, not a hang. */
  const FAILED = /error fetching identities: communication with agent failed/;

  test('when the laptop has no SSH_AUTH_SOCK', async () => {
    const { sock, world } = await session({ agentSocket: undefined });
    const listed = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock });
    expect(listed.exit).toBe(1);
    expect(listed.stderr).toMatch(FAILED);
    expect(world.laptopLog).toEqual([expect.stringMatching(/refused a agent channel from the session: the laptop has no ssh-agent/)]);
    expect(refusals).toEqual([expect.stringMatching(/the laptop has no ssh-agent/)]);
  });

  test("when the laptop's agent socket is dead", async () => {
    const { sock, world } = await session({ agentSocket: join(dir, 'no-such-agent.sock') });
    const listed = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock });
    expect(listed).toMatchObject({ exit: 1, stderr: expect.stringMatching(FAILED) });
    expect(world.laptopLog.join('\n')).toMatch(/cannot reach the laptop's ssh-agent at .*no-such-agent\.sock: connect ENOENT/);
  });

  test('when forward-agent is off on the laptop', async () => {
    const { sock, world } = await session({ agentSocket: laptopAgent, switches: { ...SWITCHES_ON, 'forward-agent': false } });
    const listed = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock });
    expect(listed).toMatchObject({ exit: 1, stderr: expect.stringMatching(FAILED) });
    expect(world.laptopLog.join('\n')).toMatch(/forward-agent is off on the laptop/);
  });

  test('when no client is attached', async () => {
    const { sock, world } = await session({ agentSocket: laptopAgent });
    world.toLaptop.detach();
    const listed = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock });
    expect(listed).toMatchObject({ exit: 1, stderr: expect.stringMatching(FAILED) });
    expect(refusals).toEqual(['no client is attached to this session']);
  });

  test('past the rate limit, and the laptop logs why', async () => {
    const { sock, world } = await session({ agentSocket: laptopAgent, now: () => 0 });
    const { burst } = POLICY.agent.rate;
    const answers = await Promise.all(Array.from({ length: burst }, () => requestIdentities(sock)));
    expect(answers).toEqual(Array(burst).fill('answered'));
    const listed = await run('ssh-add', ['-l'], { SSH_AUTH_SOCK: sock });
    expect(listed).toMatchObject({ exit: 1, stderr: expect.stringMatching(FAILED) });
    expect(world.laptopLog).toEqual([expect.stringMatching(/too many agent channels/)]);
  });
});
