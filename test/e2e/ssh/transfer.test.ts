import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { GRITTY_BIN, type GrittyEnv } from '../../helpers/daemon.js';
import { startClient, waitClientExit } from '../../helpers/remote-world.js';
import { signalAll } from '../../helpers/processes.js';
import { freezeLaptop, tunnelSshes } from '../../helpers/sshd.js';
import type { TmuxTerminal } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';
import { TransferScene, bytesIn, randomFile, sha256 } from './transfer-scene.js';

/**
 * gritty send / gritty receive end to end: one half in a session on the private sshd's
 * devbox, the other on the laptop, paired through the attached client and carried on
 * the session's link, in both directions.
 */
let scene: TransferScene | undefined;
afterEach(() => {
  scene?.cleanup();
  scene = undefined;
});

const BIG_BYTES = 256 << 20;
/** How long the laptop sleeps mid-transfer: twice the heartbeat timeout, so waking is judged by the wall clock. */
const LID_CLOSED_MS = 30_000;
/**
 * Each step waits with its own bound; a whole transfer of 256 MiB through ssh takes
 * over a minute on a loaded 2-core host, past vitest's default 60 s.
 */
const BIG_TRANSFER_TEST_TIMEOUT_MS = 240_000;

/** A laptop attached to devbox:work in a terminal, at the session's prompt. */
async function attachedLaptop(): Promise<{ laptop: GrittyEnv; term: TmuxTerminal }> {
  scene = await TransferScene.start();
  return { laptop: scene.laptop, term: scene.term };
}

test('256 MiB from the laptop into the session arrives byte-exact through kill -9 of the tunnel ssh in the middle, and the attached terminal is told how much went', { timeout: BIG_TRANSFER_TEST_TIMEOUT_MS }, async () => {
  const { laptop, term } = await attachedLaptop();
  const source = join(laptop.root, 'big.bin');
  const sum = randomFile(source, BIG_BYTES);
  const into = scene!.dir('in-session');

  const sender = scene!.onLaptop(['send', source, '--timeout', '60']);
  await waitFor(() => sender.err().includes('waiting up to 60 s for gritty receive in devbox:work'), { what: 'the laptop sender to wait', timeoutMs: 20_000, describe: sender.err });
  term.line(`${GRITTY_BIN} receive ${into} --timeout 60; echo recv-exit-$?`);
  await waitFor(() => bytesIn(into) >= BIG_BYTES / 4, { what: 'a quarter of the file in the session', timeoutMs: 60_000, describe: () => `${term.screen()}\n${sender.err()}` });
  const [ssh] = tunnelSshes(laptop);
  process.kill(ssh!.pid, 'SIGKILL');

  expect(await sender.exit).toBe(0);
  await term.waitFor(/^recv-exit-0$/m, { timeoutMs: 60_000 });
  expect(sha256(join(into, 'big.bin'))).toBe(sum);
  expect(readdirSync(into)).toEqual(['big.bin']);
  expect(tunnelSshes(laptop)[0]?.pid).not.toBe(ssh!.pid);
  expect(sender.err()).toMatch(/sent 1 file, 256\.0 MiB/);
  await term.waitFor(/\[gritty\] transfer ended: big\.bin, 256\.\d MiB to the session/, { timeoutMs: 20_000 });
});

test('a transfer from the laptop finishes byte-exact after the laptop slept 30 s in the middle while its connection died', async () => {
  const { laptop, term } = await attachedLaptop();
  const source = join(laptop.root, 'big.bin');
  const sum = randomFile(source, 128 << 20);
  const into = scene!.dir('in-session');
  const sender = scene!.onLaptop(['send', source, '--timeout', '60']);
  await scene!.waiting(sender);
  term.line(`${GRITTY_BIN} receive ${into} --timeout 60; echo recv-exit-$?`);
  await waitFor(() => bytesIn(into) >= 16 << 20, { what: 'the transfer to be under way', timeoutMs: 60_000, describe: sender.err });

  const [ssh] = tunnelSshes(laptop);
  const lid = freezeLaptop(laptop);
  expect(lid.pids).toEqual(expect.arrayContaining([ssh!.pid, sender.child.pid]));
  // meanwhile the remote end of its connection goes away (the sshd gives up, the NAT forgets it)
  signalAll(scene!.worlds.sshd.sshdServing(ssh!.pid).map((p) => p.pid), 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, LID_CLOSED_MS)); // the deliberate sleep: the lid is closed
  lid.thaw();

  expect(await sender.exit, sender.err()).toBe(0);
  await term.waitFor(/^recv-exit-0$/m, { timeoutMs: 60_000 });
  expect(sha256(join(into, 'big.bin'))).toBe(sum);
  expect(readdirSync(into)).toEqual(['big.bin']);
}, 120_000);

test('256 MiB from the session to the laptop arrives byte-exact, and the attached terminal is told when it starts and ends', { timeout: BIG_TRANSFER_TEST_TIMEOUT_MS }, async () => {
  const { laptop, term } = await attachedLaptop();
  const source = join(laptop.root, 'from-session.bin');
  const sum = randomFile(source, BIG_BYTES);
  const into = scene!.dir('on-laptop');

  // the session's half runs first and waits
  term.line(`clear; ${GRITTY_BIN} send ${source} --timeout 60; echo send-exit-$?`);
  await term.waitFor(/waiting up to 60 s for gritty receive on the laptop/, { timeoutMs: 20_000 });
  const receiver = scene!.onLaptop(['receive', into]);
  await term.waitFor(/\[gritty\] transfer (started|ended): from-session\.bin/, { timeoutMs: 60_000 });
  expect(await receiver.exit).toBe(0);
  await term.waitFor(/^send-exit-0$/m, { timeoutMs: 60_000 });
  expect(sha256(join(into, 'from-session.bin'))).toBe(sum);
  expect(readdirSync(into)).toEqual(['from-session.bin']);
  expect(receiver.err()).toMatch(/received 1 file, 256\.0 MiB/);
  // the line counts the stream, records included
  await term.waitFor(/\[gritty\] transfer ended: from-session\.bin, 256\.\d MiB from the session/, { timeoutMs: 20_000 });
  // on a terminal the sender drew a bar (bytes, rate, ETA), left on screen at 100 %, then its summary
  const history = term.history(200);
  expect(history).toMatch(/^from-session\.bin \[\S+\] 100% 256\.0 MiB\/256\.0 MiB [\d.]+ (KiB|MiB|GiB)\/s ETA \S+$/m);
  expect(history).toMatch(/^sent 1 file, 256\.0 MiB in [\d.]+ s \([\d.]+ (KiB|MiB|GiB)\/s\)$/m);
});

test('pipe mode both ways; nobody pairing within --timeout fails clearly with status 1 on either side', async () => {
  const { laptop, term } = await attachedLaptop();
  const data = randomBytes(3 << 20);
  const sum = createHash('sha256').update(data).digest('hex');

  // laptop stdin -> session stdout
  const landed = join(laptop.root, 'landed.bin');
  term.line(`clear; ${GRITTY_BIN} receive --stdout --timeout 60 > ${landed}; echo recv-exit-$?`);
  await term.waitFor(/waiting up to 60 s for gritty send/, { timeoutMs: 20_000 });
  const sender = scene!.onLaptop(['send', '--stdin']);
  sender.child.stdin!.end(data);
  expect(await sender.exit, sender.err()).toBe(0);
  await term.waitFor(/^recv-exit-0$/m, { timeoutMs: 30_000 });
  expect(sha256(landed)).toBe(sum);

  // session stdin -> laptop stdout: receive picks stdout by itself when it is a pipe
  const receiver = scene!.onLaptop(['receive', '--timeout', '60']);
  await waitFor(() => receiver.err().includes('waiting up to 60 s'), { what: 'the laptop receiver to wait', timeoutMs: 20_000, describe: receiver.err });
  term.line(`clear; cat ${landed} | ${GRITTY_BIN} send --stdin; echo send-exit-$?`);
  expect(await receiver.exit).toBe(0);
  await term.waitFor(/^send-exit-0$/m, { timeoutMs: 30_000 });
  expect(createHash('sha256').update(receiver.out()).digest('hex')).toBe(sum);

  // nobody answers: the session's half
  term.line(`clear; ${GRITTY_BIN} receive --timeout 2 ${laptop.root}; echo lonely-exit-$?`);
  await term.waitFor(/^lonely-exit-1$/m, { timeoutMs: 30_000 });
  expect(term.screen()).toMatch(/nobody ran gritty send on the laptop within 2 s \(--timeout\)/);

  // nobody answers: the laptop's half
  const lonely = scene!.onLaptop(['send', '--timeout', '2', landed]);
  expect(await lonely.exit).toBe(1);
  expect(lonely.err()).toMatch(/gritty: nobody ran gritty receive in devbox:work within 2 s \(--timeout\)/);

  // a session no client here is attached to
  const elsewhere = scene!.onLaptop(['send', '--session', 'devbox:other', landed]);
  expect(await elsewhere.exit).toBe(1);
  expect(elsewhere.err()).toMatch(/no gritty client on this machine is attached to devbox:other/);

  // the attached client's socket is private to this user, and goes with the client
  const [socket] = readdirSync(laptop.socketDir).filter((name) => /^attached-\d+\.sock$/.test(name));
  expect(statSync(join(laptop.socketDir, socket!)).mode & 0o777).toBe(0o600);
  const info = JSON.parse(readFileSync(join(laptop.socketDir, socket!.replace('.sock', '.json')), 'utf8')) as Record<string, unknown>;
  expect(info).toMatchObject({ host: 'devbox', session: 'work' });
  term.escape('.');
  await waitClientExit(term, 20_000);
  expect(readdirSync(laptop.socketDir).filter((name) => name.startsWith('attached-'))).toEqual([]);
  const after = scene!.onLaptop(['receive', '--timeout', '2']);
  expect(await after.exit).toBe(1);
  expect(after.err()).toMatch(/no gritty client is attached to a session on this machine/);
});

test('a takeover in the middle of a transfer stops it on both sides with a message, and keeps the earlier copy whole', async () => {
  const { laptop, term } = await attachedLaptop();
  const into = scene!.dir('in-session');
  const earlier = join(into, 'big.bin');
  const earlierSum = randomFile(earlier, 1 << 20);
  const source = join(laptop.root, 'big.bin');
  randomFile(source, 64 << 20);
  const errors = join(laptop.root, 'recv.err');
  const status = join(laptop.root, 'recv.status');
  term.line(`clear; ${GRITTY_BIN} receive ${into} --timeout 60 2>${errors}; echo $? > ${status}`);
  await waitFor(() => existsSync(errors) && readFileSync(errors, 'utf8').includes('waiting'), { what: 'the session receiver to wait', timeoutMs: 20_000 });

  const sender = scene!.onLaptop(['send', source]);
  await waitFor(() => bytesIn(into) > 2 << 20, { what: 'the transfer to be under way', timeoutMs: 30_000, describe: sender.err });
  // the sender stops in the middle of the file, so the takeover finds the transfer unfinished
  sender.child.kill('SIGSTOP');
  const other = scene!.worlds.laptop();
  expect(other.run(['connect', 'devbox'])).toMatchObject({ status: 0 });
  const otherTerm = await scene!.worlds.terminal(other, { cols: 200, rows: 40 });
  startClient(otherTerm, ['attach', 'devbox:work']);
  await term.waitFor(/taken over/, { timeoutMs: 30_000 });
  sender.child.kill('SIGCONT');

  expect(await sender.exit).toBe(1);
  expect(sender.err()).toMatch(/gritty: the receiver went away/);
  await waitFor(() => existsSync(status) && readFileSync(status, 'utf8').trim() !== '', { what: 'the session receiver to end', timeoutMs: 30_000 });
  expect(readFileSync(status, 'utf8').trim()).toBe('1');
  // the session's half sees its stream cut (the channel's close reason does not cross the service socket's raw stream)
  expect(readFileSync(errors, 'utf8')).toMatch(/gritty: the sender went away in the middle of .*; nothing partial was kept/);
  expect(readdirSync(into)).toEqual(['big.bin']);
  expect(sha256(earlier)).toBe(earlierSum);
});
