import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lines } from '../helpers/terminal.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

const SIZE = { cols: 80, rows: 12 };

/** Rows of a capture that show the vertical border of a left/right split. */
function borderRows(capture: string): number {
  return lines(capture).filter((row) => row.includes('│')).length;
}

test('tmux split inside a session, started by a daemon that runs inside tmux, comes back intact on a fresh attach', async () => {
  const shell = innerShell(scope.world);
  const inner = `inner-${process.pid}-${Date.now()}`;
  scope.onCleanup(() => spawnSync('tmux', ['-L', inner, 'kill-server'], { env: { ...scope.world.env, TMUX_TMPDIR: scope.world.root }, timeout: 5_000 }));

  const a = await scope.terminal(SIZE);
  a.line(`gritty new -c ${shell} local:nest`);
  await a.waitFor(INNER_PROMPT.trim());

  // the daemon was started from this tmux pane, so it has TMUX; the session must not
  const info = JSON.parse(scope.world.run(['info', '--json']).stdout) as { server: { pid: number } };
  const daemonEnv = readFileSync(`/proc/${info.server.pid}/environ`, 'utf8').split('\0');
  expect(daemonEnv.some((v) => v.startsWith('TMUX='))).toBe(true);
  a.line('echo "tmux-var=[${TMUX:-unset}]"');
  await a.waitFor('tmux-var=[unset]');

  a.line(`tmux -L ${inner} -f /dev/null new-session ${shell} \\; split-window -h ${shell}`);
  await a.waitFor((s) => borderRows(s) >= SIZE.rows - 2 && lines(s).filter((row) => row.includes(INNER_PROMPT.trim())).length >= 1, {
    what: 'the inner tmux to show a split',
  });
  const refusal = a.screen();
  expect(refusal).not.toContain('sessions should be nested');
  a.line('echo right-$((1+1))');
  await a.waitFor('right-2');
  a.press('C-b', 'o');
  a.line('echo left-$((2+2))');
  await a.waitFor('left-4');
  // the Enter that precedes ~. reaches the inner shell too: take the picture after it
  a.press('Enter');
  const before = await a.waitFor((s) => lines(s)[3]?.startsWith(INNER_PROMPT.trim()) === true);
  a.type('~.');
  const detached = await a.waitForOuterPrompt();
  expect(detached).toContain('[detached from local:nest]');

  const b = await scope.terminal(SIZE);
  b.line('gritty attach local:nest');
  const after = await b.waitFor((s) => s.includes('left-4') && s.includes('right-2') && borderRows(s) >= SIZE.rows - 2);
  // both panes, the border between them and tmux's status line, row for row
  const rows = lines(after);
  const left = rows.findIndex((row) => row.includes('left-4'));
  const right = rows.findIndex((row) => row.includes('right-2'));
  expect(rows[left]!.indexOf('left-4')).toBeLessThan(rows[left]!.indexOf('│'));
  expect(rows[right]!.indexOf('right-2')).toBeGreaterThan(rows[right]!.indexOf('│'));
  expect(rows[SIZE.rows - 1]).toMatch(/^\[0\] 0:/);
  expect(lines(before).slice(0, SIZE.rows - 1)).toEqual(rows.slice(0, SIZE.rows - 1));

  // and the inner tmux still works
  b.line('echo still-$((3+3))');
  await b.waitFor('still-6');
});
