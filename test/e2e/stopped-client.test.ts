import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lastRow, lines } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

const LINES = 50_000;
const SIZE = { cols: 40, rows: 10 };

/** The rows of a capture that are bare numbers, as numbers. */
function numbers(capture: string): number[] {
  return capture.split('\n').filter((row) => /^\d+$/.test(row)).map(Number);
}

test('output made while the client is stopped arrives in order, exactly once, and a fresh attach shows its end', async () => {
  const go = join(scope.world.root, 'go');
  const done = join(scope.world.root, 'done');
  const a = await scope.terminal({ ...SIZE, historyLines: LINES + 1_000 });
  a.line('set +m'); // no job control: the outer shell must not take the terminal back when the client stops
  await a.waitFor('set +m');
  a.line(`gritty new -c ${innerShell(scope.world)} local:flood`);
  await a.waitFor(INNER_PROMPT.trim());
  a.line(`while [ ! -e ${go} ]; do sleep 0.1; done; seq 1 ${LINES}; echo DONE; : > ${done}`);
  await waitFor(() => scope.sessions().find((s) => s.name === 'flood' && s.attached), { what: 'the session to be attached' });

  const client = await waitFor(() => a.foregroundChild(), { what: 'the client process' });
  process.kill(client, 'SIGSTOP');
  try {
    writeFileSync(go, '');
    // the session is not held back by the stopped client: it finishes on its own
    await waitFor(() => existsSync(done), { what: 'the session to finish printing', timeoutMs: 30_000 });
  } finally {
    process.kill(client, 'SIGCONT');
  }

  await a.waitFor((s) => s.includes('DONE') && lastRow(s) === INNER_PROMPT.trim(), { timeoutMs: 30_000 });
  const seen = numbers(a.history(LINES + 1_000));
  expect(seen.length).toBe(LINES);
  expect(seen.every((n, i) => n === i + 1)).toBe(true);

  a.escape('.');
  await a.waitForOuterPrompt();
  const b = await scope.terminal(SIZE);
  b.line('gritty attach local:flood');
  const screen = await b.waitFor((s) => s.includes('DONE') && lastRow(s) === INNER_PROMPT.trim());
  const rows = lines(screen);
  const tail = numbers(screen);
  expect(tail.length).toBeGreaterThanOrEqual(SIZE.rows - 4);
  expect(tail).toEqual(Array.from({ length: tail.length }, (_, i) => LINES - tail.length + 1 + i));
  expect(rows[rows.indexOf(String(LINES)) + 1]).toBe('DONE');
});
