import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lastRow, lines } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

test('kill -9 of the client leaves the session running and a reattach shows what it printed since', async () => {
  const go = join(scope.world.root, 'go');
  const a = await scope.terminal({ rows: 15 });
  a.line(`gritty new -c ${innerShell(scope.world)} local:crash`);
  await a.waitFor(INNER_PROMPT.trim());
  a.line(`while [ ! -e ${go} ]; do sleep 0.1; done; for i in 1 2 3 4 5; do echo after-kill-$i; done`);
  await waitFor(() => scope.sessions().find((s) => s.name === 'crash' && s.attached), { what: 'the session to be attached' });

  const client = await waitFor(() => a.foregroundChild(), { what: 'the client process' });
  expect(execFileSync('ps', ['-o', 'args=', '-p', String(client)], { encoding: 'utf8' })).toContain('gritty new');
  process.kill(client, 'SIGKILL');

  // the daemon notices the closed socket; the session stays
  await waitFor(() => scope.sessions().find((s) => s.name === 'crash' && !s.attached), { what: 'ls to show the session detached' });
  const [session] = scope.sessions();
  expect(() => process.kill(session!.pid, 0)).not.toThrow();
  writeFileSync(go, '');

  // the terminal the client died in still runs commands
  await a.waitForOuterPrompt();
  a.line('echo usable-$((5*5))');
  await a.waitFor('usable-25');

  const b = await scope.terminal({ rows: 15 });
  b.line('gritty attach local:crash');
  const screen = await b.waitFor((s) => s.includes('after-kill-5') && lastRow(s) === INNER_PROMPT.trim());
  const printed = lines(screen).filter((row) => row.startsWith('after-kill-'));
  expect(printed).toEqual(['after-kill-1', 'after-kill-2', 'after-kill-3', 'after-kill-4', 'after-kill-5']);
  b.line('echo alive-$((7*7))');
  await b.waitFor('alive-49');
});
