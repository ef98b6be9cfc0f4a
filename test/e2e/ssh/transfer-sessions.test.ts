import { writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { GRITTY_BIN } from '../../helpers/daemon.js';
import { startClient, waitClientExit } from '../../helpers/remote-world.js';
import { INNER_PROMPT } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';
import { TransferScene, bytesIn, randomFile, sha256, textOf } from './transfer-scene.js';

/**
 * Which session a laptop helper pairs with (every attached one, or --session), and a
 * detach in the middle of a transfer: through the real CLI on both sides.
 */
let scene: TransferScene | undefined;
afterEach(() => {
  scene?.cleanup();
  scene = undefined;
});

test('a detach in the middle of a transfer stops it on both sides with a message, and keeps the earlier copy whole', async () => {
  scene = await TransferScene.start();
  const into = scene.dir('into');
  const earlier = join(into, 'big.bin');
  const earlierSum = randomFile(earlier, 1 << 20);
  const source = join(scene.dir('origin'), 'big.bin');
  randomFile(source, 64 << 20);
  const receiver = scene.inSession('recv', `${GRITTY_BIN} receive ${into} --timeout 60`);
  await waitFor(() => receiver.err().includes('waiting'), { what: 'the session receiver to wait', timeoutMs: 20_000 });

  const sender = scene.onLaptop(['send', source]);
  await waitFor(() => bytesIn(into) > 2 << 20, { what: 'the transfer to be under way', timeoutMs: 30_000, describe: sender.err });
  // stopped in the middle of the file, so the detach finds the transfer unfinished
  sender.child.kill('SIGSTOP');
  scene.term.escape('.');
  expect((await waitClientExit(scene.term, 30_000)).status).toBe(0);
  sender.child.kill('SIGCONT');

  expect(await sender.exit).toBe(1);
  expect(sender.err()).toMatch(/^gritty: the receiver went away/m);
  await waitFor(() => receiver.status() !== undefined, { what: 'the session receiver to end', timeoutMs: 30_000, describe: receiver.err });
  expect(receiver.status()).toBe(1);
  expect(receiver.err()).toMatch(/^gritty: the sender went away in the middle of .*; nothing partial was kept\. Send again/m);
  expect(readdirSync(into)).toEqual(['big.bin']);
  expect(sha256(earlier)).toBe(earlierSum);
});

test('a laptop send is offered to every attached session and named in its waiting line; --session picks one, the first waiting match wins without it', async () => {
  scene = await TransferScene.start();
  const other = await scene.worlds.terminal(scene.laptop, { cols: 200, rows: 40 });
  startClient(other, ['new', '-c', scene.worlds.shell(scene.laptop), 'devbox:other']);
  await other.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  const intoWork = scene.dir('into-work');
  const intoOther = scene.dir('into-other');
  const first = join(scene.dir('origin'), 'first.txt');
  const second = join(scene.dir('origin'), 'second.txt');
  writeFileSync(first, 'to other\n');
  writeFileSync(second, 'to work\n');

  // both sessions wait for a sender
  const work = scene.inSession('recv-work', `${GRITTY_BIN} receive ${intoWork} --timeout 60`);
  const otherErr = join(scene.laptop.root, 'recv-other.err');
  const otherStatus = join(scene.laptop.root, 'recv-other.status');
  other.line(`clear; ${GRITTY_BIN} receive ${intoOther} --timeout 60 2>${otherErr}; echo $? > ${otherStatus}`);
  await waitFor(() => work.err().includes('waiting'), { what: 'the work receiver to wait', timeoutMs: 20_000 });
  await waitFor(() => textOf(otherErr).includes('waiting'), { what: 'the other receiver to wait', timeoutMs: 20_000 });

  const chosen = scene.onLaptop(['send', first, '--session', 'devbox:other', '--timeout', '60']);
  expect(await chosen.exit, chosen.err()).toBe(0);
  expect(chosen.err()).toMatch(/waiting up to 60 s for gritty receive in devbox:other \(Ctrl-C stops\)/);
  await waitFor(() => textOf(otherStatus).trim() === '0', { what: 'the other session receiver to end', timeoutMs: 30_000 });
  expect(readdirSync(intoOther)).toEqual(['first.txt']);
  expect(readFileSync(join(intoOther, 'first.txt'), 'utf8')).toBe('to other\n');
  expect(readdirSync(intoWork)).toEqual([]);
  expect(work.status()).toBeUndefined();

  // without --session: offered to both, and only work has a receiver waiting
  const anyone = scene.onLaptop(['send', second, '--timeout', '60']);
  expect(await anyone.exit, anyone.err()).toBe(0);
  expect(anyone.err()).toMatch(/waiting up to 60 s for gritty receive in (devbox:work, devbox:other|devbox:other, devbox:work) \(Ctrl-C stops\)/);
  await waitFor(() => work.status() !== undefined, { what: 'the work receiver to end', timeoutMs: 30_000, describe: work.err });
  expect(work.status()).toBe(0);
  expect(readdirSync(intoWork)).toEqual(['second.txt']);
  expect(readFileSync(join(intoWork, 'second.txt'), 'utf8')).toBe('to work\n');
  expect(readdirSync(intoOther)).toEqual(['first.txt']);
});
