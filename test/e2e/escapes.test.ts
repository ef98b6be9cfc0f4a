import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell } from '../helpers/terminal.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

async function attachedTerminal(name: string, extra = '', cols = 100) {
  const t = await scope.terminal({ cols, rows: 16 });
  t.line(`gritty new ${extra}-c ${innerShell(scope.world)} local:${name}`);
  await t.waitFor(INNER_PROMPT.trim());
  return t;
}

test('~? prints the escape help and the session stays attached', async () => {
  const t = await attachedTerminal('help');
  t.escape('?');
  const help = await t.waitFor('Supported escape sequences');
  expect(help).toContain('~.   detach');
  expect(help).toContain('~~   send a literal ~');
  t.line('echo still-$((6*7))');
  await t.waitFor('still-42');
  expect(scope.sessions().find((s) => s.name === 'help')?.attached).toBe(true);
});

test('~~ at the start of a line sends one literal ~', async () => {
  const t = await attachedTerminal('tilde');
  t.line('read -r v; echo "got[$v]"');
  await t.waitFor('read -r v');
  t.type('~~x');
  t.press('Enter');
  const screen = await t.waitFor(/^got\[.*\]$/m);
  expect(screen).toContain('got[~x]');
});

test('~# shows the session status with the round-trip time', async () => {
  // wide enough that the status is one row, so the offset at its end is not wrapped away
  const t = await attachedTerminal('status', '', 200);
  t.escape('#');
  const screen = await t.waitFor(/\[gritty\] local:status .* offset \d+/);
  const status = /\[gritty\] local:status \(id \S+\) · connected · RTT \d+ ms · (\d+) bytes received(?: · [^·\n]+)* · offset (\d+)/.exec(screen);
  expect(status, screen).not.toBeNull();
  const [received, offset] = [Number(status![1]), Number(status![2])];
  // a fresh session shown from its start: the offset is every byte received, no more, no less
  expect(received).toBeGreaterThan(0);
  expect(offset).toBe(received);
  // and never beyond what the session has written
  expect(offset).toBeLessThanOrEqual(scope.sessions().find((s) => s.name === 'status')!.offset);
  t.line('echo still-$((6*7))');
  await t.waitFor('still-42');
});

test('with --no-escape ~. reaches the shell and does not detach', async () => {
  const t = await attachedTerminal('raw', '--no-escape ');
  t.line('read -r v; echo "got[$v]"');
  await t.waitFor('read -r v');
  t.type('~.');
  t.press('Enter');
  const screen = await t.waitFor(/^got\[.*\]$/m);
  expect(screen).toContain('got[~.]');
  expect(screen).not.toContain('[detached');
  expect(scope.sessions().find((s) => s.name === 'raw')?.attached).toBe(true);
});
