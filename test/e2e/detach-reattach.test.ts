import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, OUTER_PROMPT, innerShell, lastRow } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

test('detaching with ~. ends the client with status 0 and a reattach from another terminal shows the earlier screen', async () => {
  const shell = innerShell(scope.world);
  const a = await scope.terminal();
  a.line(`gritty new -c ${shell} local:x`);
  await a.waitFor(INNER_PROMPT.trim());
  a.line('echo marker-$((40+2))');
  await a.waitFor('marker-42');

  a.escape('.');
  const detached = await a.waitForOuterPrompt();
  expect(detached).toContain('[detached from local:x]');
  expect(await a.exitStatus()).toBe(0);
  await waitFor(() => scope.sessions().find((s) => s.name === 'x' && !s.attached), { what: 'ls to show x detached' });

  const b = await scope.terminal();
  b.line('gritty attach local:x');
  const screen = await b.waitFor((s) => s.includes('marker-42') && lastRow(s) === INNER_PROMPT.trim());
  expect(screen).toContain('echo marker-$((40+2))');
  expect(screen).not.toContain(`${OUTER_PROMPT}gritty attach`);
  b.line('echo again-$((2*3))');
  await b.waitFor('again-6');
  expect(scope.sessions().find((s) => s.name === 'x')?.attached).toBe(true);
});
