import { afterEach, expect, test } from 'vitest';
import { signalAll } from '../../helpers/processes.js';
import { RemoteWorlds, answerCounts, fullHistory, startClient, typeUntilAnswered } from '../../helpers/remote-world.js';
import { tunnelSshes } from '../../helpers/sshd.js';
import { INNER_PROMPT } from '../../helpers/terminal.js';

let worlds: RemoteWorlds | undefined;
afterEach(() => {
  worlds?.cleanup();
  worlds = undefined;
});

/** The client's heartbeat timeout (15 s) plus a few seconds to replace ssh and reattach. */
const USABLE_WITHIN_MS = 25_000;

test('with the sshd serving the tunnel frozen (a silent network), the session is usable again within the heartbeat timeout plus a few seconds', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { cols: 100 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  // output the session makes while the network is silent must arrive once it is back
  term.line('(sleep 3; echo late-$((2+3))) &');
  await term.waitFor(/^\[1\] \d+$/m);
  const [ssh] = tunnelSshes(laptop);
  const serving = worlds.sshd.sshdServing(ssh!.pid);
  expect(serving.length).toBeGreaterThan(0);

  const frozenAt = Date.now();
  signalAll(
    serving.map((p) => p.pid),
    'SIGSTOP',
  );
  // nothing is typed until output flows again: detecting the silence is the client's job
  await term.waitFor(/late-5/, { what: 'the output made during the silence', timeoutMs: USABLE_WITHIN_MS + 10_000 });
  const { answeredAt } = await typeUntilAnswered(term, { prefix: 'S', timeoutMs: 10_000, retypeMs: 2_000 });
  const elapsed = answeredAt - frozenAt;
  console.log(`usable again ${elapsed} ms after the network went silent`);
  expect(elapsed).toBeLessThan(USABLE_WITHIN_MS);

  const history = fullHistory(term, 1_000);
  expect(history.match(/late-5/g)).toHaveLength(1);
  for (const [marker, count] of answerCounts(history, 'S')) expect({ marker, count }).toEqual({ marker, count: 1 });
  expect(term.screen()).not.toMatch(/reconnecting/);
  const [replacement] = tunnelSshes(laptop);
  expect(replacement!.pid).not.toBe(ssh!.pid);
});
