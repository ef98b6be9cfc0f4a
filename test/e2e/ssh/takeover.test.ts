import { afterEach, expect, test } from 'vitest';
import type { GrittyEnv } from '../../helpers/daemon.js';
import { signalAll } from '../../helpers/processes.js';
import { RemoteWorlds, clientExit, clientPids, startClient, typeUntilAnswered, waitClientExit } from '../../helpers/remote-world.js';
import { tunnelSshes } from '../../helpers/sshd.js';
import { INNER_PROMPT, type TmuxTerminal } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';

let worlds: RemoteWorlds | undefined;
afterEach(() => {
  worlds?.cleanup();
  worlds = undefined;
});

const TAKEN_OVER = /taken over/;

function attachedOnRemote(worlds: RemoteWorlds): boolean | undefined {
  const listed = JSON.parse(worlds.sshd.remoteGritty(['ls', '--json']).stdout) as { name: string; attached: boolean }[];
  return listed.find((s) => s.name === 'work')?.attached;
}

/** Two laptops (own state dirs, so own device ids) with tunnels to devbox, and a session devbox:work. */
async function twoLaptops(): Promise<{ a: GrittyEnv; b: GrittyEnv; ta: TmuxTerminal; tb: TmuxTerminal }> {
  worlds = RemoteWorlds.start();
  const a = worlds.laptop();
  const b = worlds.laptop();
  expect(a.run(['new', '-d', '-c', worlds.shell(a), 'devbox:work'])).toMatchObject({ status: 0, stderr: '' });
  expect(b.run(['connect', 'devbox'])).toMatchObject({ status: 0, stderr: '' });
  const ta = await worlds.terminal(a, { cols: 120 });
  const tb = await worlds.terminal(b, { cols: 120 });
  return { a, b, ta, tb };
}

test('two laptops attaching at once: exactly one stays attached, the other is told it was taken over and stays out', async () => {
  const { ta, tb } = await twoLaptops();
  startClient(ta, ['attach', 'devbox:work']);
  startClient(tb, ['attach', 'devbox:work']);

  const [loser, winner] = await waitFor(
    () => {
      const ea = clientExit(ta.screen());
      const eb = clientExit(tb.screen());
      if (ea !== undefined && eb === undefined) return [ta, tb];
      if (eb !== undefined && ea === undefined) return [tb, ta];
      if (ea !== undefined && eb !== undefined) throw new Error('both clients exited');
      return undefined;
    },
    { what: 'one of the two clients to give way', timeoutMs: 20_000, describe: () => `${ta.screen()}\n---\n${tb.screen()}` },
  );
  expect(loser!.screen()).toMatch(TAKEN_OVER);

  await typeUntilAnswered(winner!, { prefix: 'A', timeoutMs: 10_000 });
  // the loser stays out: the winner's lines and their answers never reach its terminal
  expect(loser!.screen()).not.toMatch(/^A\d+-2\s*$/m);
  expect(loser!.screen()).not.toContain('echo A');
  expect(clientExit(winner!.screen())).toBeUndefined();
  expect(attachedOnRemote(worlds!)).toBe(true);
  // the loser's exit is final: only one client process is left between the two laptops
  expect(worlds!.laptops.flatMap(clientPids)).toHaveLength(1);
});

test('a laptop that was away while another took the session over is told so on its reconnect and does not take it back', async () => {
  const { a, b, ta, tb } = await twoLaptops();
  startClient(ta, ['attach', 'devbox:work']);
  await ta.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  const [clientA] = clientPids(a);
  const [sshA] = tunnelSshes(a);

  // laptop A goes away: its client stops, and its tunnel dies with the takeover notice unsent
  signalAll([clientA!], 'SIGSTOP');
  process.kill(sshA!.pid, 'SIGKILL');
  startClient(tb, ['attach', 'devbox:work']);
  await tb.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  await typeUntilAnswered(tb, { prefix: 'B', timeoutMs: 10_000 });

  signalAll([clientA!], 'SIGCONT');
  const { status, screen } = await waitClientExit(ta, 20_000);
  expect(screen).toMatch(TAKEN_OVER);
  console.log(`laptop A ended with status ${status}`);

  // B still holds the session: its next line is answered and it never saw a takeover
  await typeUntilAnswered(tb, { prefix: 'C', timeoutMs: 10_000 });
  // A, told it was taken over, shows nothing of the session after that: neither B's lines nor their answers
  expect(ta.screen()).not.toMatch(/^[BC]\d+-2\s*$/m);
  expect(ta.screen()).not.toMatch(/echo [BC]\d/);
  expect(tb.screen()).not.toMatch(TAKEN_OVER);
  expect(clientExit(tb.screen())).toBeUndefined();
  expect(clientPids(b)).toHaveLength(1);
  expect(clientPids(a)).toEqual([]);
  expect(attachedOnRemote(worlds!)).toBe(true);
});
