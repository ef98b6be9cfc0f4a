import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, OUTER_PROMPT, innerShell, lastRow } from '../helpers/terminal.js';
import { processState } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

test('~^Z suspends the client to the outer shell, and fg repaints the session and carries on', async () => {
  // the pane's outer bash is interactive, so it has job control and takes the terminal back on a stop
  const t = await scope.terminal({ cols: 60, rows: 12 });
  t.line(`gritty new -c ${innerShell(scope.world)} local:pause`);
  await t.waitFor(INNER_PROMPT.trim());
  t.line('echo before-$((6*7))');
  await t.waitFor((s) => s.includes('before-42') && lastRow(s) === INNER_PROMPT.trim());
  const client = await waitFor(() => t.foregroundChild(), { what: 'the client process' });

  t.press('Enter');
  t.type('~');
  t.press('C-z');
  const suspended = await t.waitForOuterPrompt();
  expect(suspended).toMatch(/Stopped/);
  // scroll the session's screen out of sight, so only a repaint can bring it back
  t.line('seq 1 30');
  await t.waitFor((s) => s.includes('30') && !s.includes('before-42') && lastRow(s) === OUTER_PROMPT.trim());
  // the client is stopped (state T), while the session's shell lives on and stays attached
  expect(processState(client)).toBe('T');
  const paused = scope.sessions().find((s) => s.name === 'pause');
  expect(paused?.attached).toBe(true);
  expect(processState(paused!.pid)).toMatch(/^[RS]$/);

  t.line('fg');
  const resumed = await t.waitFor((s) => s.includes('before-42') && lastRow(s) === INNER_PROMPT.trim());
  expect(resumed).not.toContain(OUTER_PROMPT.trim());
  expect(t.foregroundChild()).toBe(client);
  t.line('echo after-$((6*7))');
  await t.waitFor('after-42');
  expect(scope.sessions().find((s) => s.name === 'pause')?.attached).toBe(true);
});
