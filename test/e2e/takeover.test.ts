import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lastRow } from '../helpers/terminal.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

test('attaching from a second terminal takes the session over and the first client exits saying so', async () => {
  const a = await scope.terminal();
  a.line(`gritty new -c ${innerShell(scope.world)} local:tk`);
  await a.waitFor(INNER_PROMPT.trim());
  a.line('echo from-a-$((1+1))');
  await a.waitFor('from-a-2');

  const b = await scope.terminal();
  b.line('gritty attach local:tk');
  await b.waitFor((s) => s.includes('from-a-2') && lastRow(s) === INNER_PROMPT.trim());

  const ended = await a.waitForOuterPrompt();
  expect(ended).toMatch(/\[detached: session tk was taken over by \S+/);
  expect(await a.exitStatus()).toBe(0);

  b.line('echo from-b-$((2+2))');
  await b.waitFor('from-b-4');
  // A did not come back for it: B is still the one attached and A's screen stays its own
  expect(scope.sessions().find((s) => s.name === 'tk')?.attached).toBe(true);
  b.line('echo still-b-$((3+3))');
  await b.waitFor('still-b-6');
  expect(a.screen()).not.toContain('from-b-4');
  expect(lastRow(a.screen())).toMatch(/^out\$/);
});
