import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { signalAll } from '../helpers/processes.js';
import { E2eScope, INNER_PROMPT, innerShell, lastRow, lines, type TmuxTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

const LINES = 3_000;
const SIZE = { cols: 60, rows: 12 };
/** Heartbeats fast enough that a frozen daemon is noticed within seconds, not the default 15. */
const FAST_HEARTBEAT_CONFIG = '[defaults]\nheartbeat-interval = 1\nheartbeat-timeout = 3\n';

/** The Unix sockets a process holds open, as `socket:[inode]` strings. */
function socketsOf(pid: number): Set<string> {
  const found = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('socket:')) found.add(target);
    } catch {
      // closed meanwhile
    }
  }
  return found;
}

async function attached(name: string, options: { historyLines?: number } = {}): Promise<TmuxTerminal> {
  const t = await scope.terminal({ ...SIZE, ...options });
  t.line(`gritty new -c ${innerShell(scope.world)} local:${name}`);
  await t.waitFor(INNER_PROMPT.trim());
  await waitFor(() => scope.sessions().find((s) => s.name === name && s.attached), { what: `session ${name} to be attached` });
  return t;
}

test('~R during output reconnects on a new connection and every line arrives once, in order', async () => {
  const t = await attached('flow', { historyLines: LINES + 1_000 });
  const client = await waitFor(() => t.foregroundChild(), { what: 'the client process' });
  const before = socketsOf(client);
  expect(before.size).toBeGreaterThan(0);

  // half the lines, then a pause until the test has asked for the reconnect, then the rest:
  // the second half is written while the client is dropping its link and coming back
  const half = join(scope.world.root, 'half');
  const rest = join(scope.world.root, 'rest');
  t.line(
    `while [ ! -e ${half} ]; do sleep 0.05; done; for i in $(seq 1 ${LINES}); do echo line-$i; ` +
      `if [ $i = ${LINES / 2} ]; then while [ ! -e ${rest} ]; do sleep 0.01; done; fi; done; echo FLOW-DONE`,
  );
  writeFileSync(half, '');
  await t.waitFor(`line-${LINES / 2}`);
  t.escape('R');
  writeFileSync(rest, '');

  // the old connection is gone and a new one took its place (the client's listening socket for
  // laptop-side helpers, attached-<pid>.sock, stays)
  await waitFor(() => {
    const now = socketsOf(client);
    return [...before].some((s) => !now.has(s)) && [...now].some((s) => !before.has(s));
  }, { what: 'the client to reconnect on a new socket' });
  await t.waitFor((s) => s.includes('FLOW-DONE') && lastRow(s) === INNER_PROMPT.trim(), { timeoutMs: 30_000 });

  const seen = t.history(LINES + 1_000).split('\n').flatMap((row) => /^line-(\d+)$/.exec(row)?.[1] ?? []).map(Number);
  expect(seen.length).toBe(LINES);
  expect(seen.every((n, i) => n === i + 1)).toBe(true);
  expect(scope.sessions().find((s) => s.name === 'flow')?.attached).toBe(true);
  t.line('echo after-$((6*7))');
  await t.waitFor('after-42');
});

test('an outage longer than a second shows one dim reconnecting line, erased with the screen restored on success', async () => {
  mkdirSync(join(scope.world.env.XDG_CONFIG_HOME!, 'gritty'), { recursive: true });
  writeFileSync(join(scope.world.env.XDG_CONFIG_HOME!, 'gritty', 'config.toml'), FAST_HEARTBEAT_CONFIG);
  const t = await attached('outage');
  // fill the screen so the prompt sits on the bottom row, with a half-typed command on it
  t.line('clear; seq 101 200');
  await t.waitFor((s) => s.includes('200') && lastRow(s) === INNER_PROMPT.trim());
  t.type('echo typed-before');
  const before = await t.waitFor((s) => lastRow(s) === `${INNER_PROMPT}echo typed-before`);
  expect(lines(before)).toHaveLength(SIZE.rows); // the bottom row is in use

  const daemon = scope.daemonPid();
  process.kill(daemon, 'SIGSTOP');
  scope.onCleanup(() => signalAll([daemon], 'SIGCONT'));
  let during: string;
  let painted: string[];
  try {
    during = await t.waitFor((s) => lastRow(s).includes('reconnecting'), { timeoutMs: 20_000 });
    painted = t.screen({ escapes: true }).split('\n').filter((row) => row.includes('reconnecting'));
  } finally {
    process.kill(daemon, 'SIGCONT');
  }
  expect(lastRow(during)).toMatch(/^\[gritty\] reconnecting to local:outage/);
  // only the bottom row changed, and the status is one dim line
  expect(lines(during).slice(0, -1)).toEqual(lines(before).slice(0, -1));
  expect(painted).toHaveLength(1);
  expect(painted[0]).toContain('\x1b[2m');

  const after = await t.waitFor((s) => !s.includes('reconnecting') && lastRow(s) === `${INNER_PROMPT}echo typed-before`, { timeoutMs: 20_000 });
  expect(lines(after)).toEqual(lines(before));
  // the repaint happened in place: what was on screen did not go into the history a second time
  const numbered = t.history(1_000).split('\n').map((row) => row.trim()).filter((row) => /^(1\d\d|200)$/.test(row));
  expect(numbered).toEqual(Array.from({ length: 100 }, (_, i) => String(101 + i)));
  t.press('Enter');
  await t.waitFor(/^typed-before$/m);
  t.line('echo after-$((6*7))');
  await t.waitFor('after-42');
  expect(scope.sessions().find((s) => s.name === 'outage')?.attached).toBe(true);
});

test('a local daemon killed with SIGKILL ends the client with a message that the server is gone', async () => {
  const t = await attached('doomed');
  process.kill(scope.daemonPid(), 'SIGKILL');
  const screen = await t.waitForOuterPrompt({ timeoutMs: 10_000 });
  // the pane wraps the message at its width
  expect(screen.replace(/\n/g, '')).toMatch(/gritty server on local is gone, and session doomed with it/);
  expect(screen).not.toContain('reconnecting');
  expect(await t.exitStatus()).not.toBe(0);
});
