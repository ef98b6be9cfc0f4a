import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell } from '../helpers/terminal.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

test('attaching to the session you are inside is refused with a clear message, and the outer client stays attached', async () => {
  const term = await scope.terminal({ cols: 100 });
  term.line(`gritty new -c ${innerShell(scope.world)} local:plain`);
  await term.waitFor(INNER_PROMPT.trim());
  const outer = term.foregroundChild();
  expect(outer).toBeDefined();

  term.line('gritty attach local:plain; echo "rc=$?"');
  const screen = await term.waitFor(/^rc=\d+/m);
  expect(screen).toContain('gritty: you are inside session plain; detach with ~. first, or attach from another terminal');
  expect(screen).toMatch(/^rc=1$/m);
  // the same through "the last attached session"
  term.line('gritty attach; echo "again=$?"');
  expect(await term.waitFor(/^again=\d+/m)).toMatch(/^again=1$/m);

  term.line('echo still-$((20+22))');
  await term.waitFor('still-42');
  expect(term.foregroundChild()).toBe(outer);
  expect(scope.sessions()).toEqual([expect.objectContaining({ name: 'plain', attached: true })]);
});
