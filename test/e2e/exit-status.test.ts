import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

test("the client exits with the session command's status and says so", async () => {
  const t = await scope.terminal();
  t.line(`gritty new -c 'exit 3' local:three`);
  await t.waitFor('[session three exited');
  const screen = await t.waitForOuterPrompt();
  expect(screen).toContain('[session three exited with status 3]');
  expect(await t.exitStatus()).toBe(3);
});

test('the client exits with the status the shell exits with after a while attached', async () => {
  const t = await scope.terminal();
  t.line(`gritty new -c ${innerShell(scope.world)} local:later`);
  await t.waitFor(INNER_PROMPT.trim());
  t.line('exit 5');
  await t.waitFor('[session later exited');
  const screen = await t.waitForOuterPrompt();
  expect(screen).toContain('[session later exited with status 5]');
  expect(await t.exitStatus()).toBe(5);
  await waitFor(() => !scope.sessions().some((s) => s.name === 'later'), { what: 'the ended session to leave the list' });
});
