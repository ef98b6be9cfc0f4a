import { afterEach, expect, test } from 'vitest';
import { RemoteWorlds, answerCounts, fullHistory, startClient, typeUntilAnswered } from '../../helpers/remote-world.js';
import { SLOW_CONNECT_S, tunnelSshes } from '../../helpers/sshd.js';
import { INNER_PROMPT } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';

let worlds: RemoteWorlds | undefined;
afterEach(() => {
  worlds?.cleanup();
  worlds = undefined;
});

const LINES = 200_000;
/** seq in chunks with short pauses: heavy output that lasts a few seconds, so the kill lands in the middle. */
const CHUNK = 1_000;
const GENERATOR = `for i in $(seq 0 ${LINES / CHUNK - 1}); do seq $((i*${CHUNK}+1)) $((i*${CHUNK}+${CHUNK})); sleep 0.02; done; echo DONE-$((6*7))`;

/** The lines made of digits only: what seq printed, as the terminal shows them. */
function numbers(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}

test('kill -9 of the tunnel ssh during heavy output: every line arrives exactly once, in order, and the session stays usable', async () => {
  worlds = RemoteWorlds.start();
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { historyLines: LINES + 10_000 });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  const [ssh] = tunnelSshes(laptop);
  expect(ssh).toBeDefined();

  term.line(GENERATOR);
  const shownAtKill = await waitFor(
    () => {
      const top = Math.max(0, ...numbers(term.screen()));
      return top >= 20_000 ? top : undefined;
    },
    { what: 'seq to be well under way', describe: () => term.screen() },
  );
  const killedAt = Date.now();
  process.kill(ssh!.pid, 'SIGKILL');
  expect(shownAtKill).toBeLessThan(LINES - 10 * CHUNK);

  await waitFor(() => Math.max(0, ...numbers(term.screen())) > shownAtKill + CHUNK, {
    what: 'output to flow again',
    timeoutMs: 20_000,
    describe: () => term.screen(),
  });
  console.log(`output flowed again ${Date.now() - killedAt} ms after the tunnel's ssh was killed (at line ${shownAtKill})`);
  await term.waitFor(/^DONE-42$/m, { timeoutMs: 40_000 });

  const seen = numbers(fullHistory(term, LINES + 10_000));
  const firstWrong = seen.findIndex((n, i) => n !== i + 1);
  expect({ count: seen.length, firstWrong, around: firstWrong < 0 ? [] : seen.slice(Math.max(0, firstWrong - 3), firstWrong + 3) }).toEqual({
    count: LINES,
    firstWrong: -1,
    around: [],
  });

  const [respawned, ...more] = tunnelSshes(laptop);
  expect(more).toEqual([]);
  expect(respawned!.pid).not.toBe(ssh!.pid);
  term.line('echo after-$((6*7))');
  await term.waitFor(/^after-42$/m);
  expect(term.screen()).not.toMatch(/reconnecting/);
});

/** ssh setup to the slow host, plus backoff and reattach: generous for a loaded machine. */
const SLOW_HOST_USABLE_WITHIN_MS = (SLOW_CONNECT_S + 6) * 1_000;

test('typing steadily while the tunnel to a slow host is replaced does not keep killing the replacement', async () => {
  worlds = RemoteWorlds.start({ hosts: [], slowHosts: ['farbox'] });
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop);
  startClient(term, ['new', '-c', worlds.shell(laptop), 'farbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 30_000 });
  const [ssh] = tunnelSshes(laptop);

  const killedAt = Date.now();
  process.kill(ssh!.pid, 'SIGKILL');
  // a user who keeps typing while the link is down: every keystroke retries at once
  const { answeredAt, typed } = await typeUntilAnswered(term, { prefix: 'K', timeoutMs: SLOW_HOST_USABLE_WITHIN_MS + 10_000, retypeMs: 300 });
  const elapsed = answeredAt - killedAt;
  console.log(`usable again ${elapsed} ms after the slow host's tunnel was killed, ${typed} lines typed meanwhile`);
  expect(elapsed).toBeLessThan(SLOW_HOST_USABLE_WITHIN_MS);
  // lines typed while disconnected are sent once on reconnect: none runs twice
  const history = fullHistory(term, 1_000);
  for (const [marker, count] of answerCounts(history, 'K')) expect({ marker, count }).toEqual({ marker, count: 1 });
});
