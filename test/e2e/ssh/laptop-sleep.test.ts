import { afterEach, expect, test } from 'vitest';
import type { GrittyEnv } from '../../helpers/daemon.js';
import { signalAll } from '../../helpers/processes.js';
import { RemoteWorlds, answerCounts, clientPids, fullHistory, startClient, typeUntilAnswered } from '../../helpers/remote-world.js';
import { freezeLaptop, tunnelSshes } from '../../helpers/sshd.js';
import { INNER_PROMPT } from '../../helpers/terminal.js';

let worlds: RemoteWorlds | undefined;
afterEach(() => {
  worlds?.cleanup();
  worlds = undefined;
});

/** How long the lid stays closed: twice the heartbeat timeout, so wake must be judged by the wall clock. */
const SLEEP_MS = 30_000;
/** Issue 3 asks for 3 s; the bound leaves room for a loaded 2-core machine. */
const USABLE_WITHIN_MS = 6_000;
/** The 30 s of sleep plus each step's own bound: 60 s left a loaded 2-core host under 30 s for starting the worlds and the client. */
const TEST_TIMEOUT_MS = 120_000;

function supervisorPid(world: GrittyEnv): number {
  const listed = JSON.parse(world.run(['tunnels', '--json']).stdout) as { name: string; pid: number }[];
  return listed.find((t) => t.name === 'devbox')!.pid;
}

test('after the laptop side slept 30 s while its connection died, the session is usable within seconds of waking', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { cols: 100 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  // output the session makes while the laptop sleeps must arrive after it wakes
  term.line('(sleep 10; echo slept-$((2+3))) &');
  await term.waitFor(/^\[1\] \d+$/m);

  const [ssh] = tunnelSshes(laptop);
  const supervisor = supervisorPid(laptop);
  const clients = clientPids(laptop);
  expect(clients).toHaveLength(1);
  const lid = freezeLaptop(laptop);
  expect(lid.pids).toEqual(expect.arrayContaining([ssh!.pid, supervisor, ...clients]));
  // meanwhile the remote end of its connection goes away (the sshd gives up, the NAT forgets it)
  signalAll(
    worlds.sshd.sshdServing(ssh!.pid).map((p) => p.pid),
    'SIGKILL',
  );
  await new Promise((resolve) => setTimeout(resolve, SLEEP_MS)); // the deliberate sleep: the lid is closed

  lid.thaw();
  const wokeAt = Date.now();
  const { answeredAt } = await typeUntilAnswered(term, { prefix: 'W', timeoutMs: 20_000, retypeMs: 500 });
  const elapsed = answeredAt - wokeAt;
  console.log(`usable again ${elapsed} ms after waking`);
  expect(elapsed).toBeLessThan(USABLE_WITHIN_MS);

  await term.waitFor(/slept-5/, { what: 'the output made while the laptop slept' });
  const history = fullHistory(term, 1_000);
  expect(history.match(/slept-5/g)).toHaveLength(1);
  for (const [marker, count] of answerCounts(history, 'W')) expect({ marker, count }).toEqual({ marker, count: 1 });
  expect(term.screen()).not.toMatch(/reconnecting/);
}, TEST_TIMEOUT_MS);
