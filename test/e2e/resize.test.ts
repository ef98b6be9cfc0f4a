import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lastRow, type ListedSession } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

function listed(name: string): ListedSession | undefined {
  return scope.sessions().find((s) => s.name === name);
}

test('resizing the terminal while attached resizes the session: stty inside and ls --json agree', async () => {
  const t = await scope.terminal({ cols: 60, rows: 12 });
  t.line(`gritty new -c ${innerShell(scope.world)} local:sized`);
  await t.waitFor(INNER_PROMPT.trim());
  t.line('echo "size=$(stty size)"');
  await t.waitFor(/^size=12 60$/m);
  expect(listed('sized')).toMatchObject({ cols: 60, rows: 12 });

  t.tmux(['resize-window', '-t', 'main', '-x', '100', '-y', '30']);
  await waitFor(() => {
    const s = listed('sized');
    return s?.cols === 100 && s.rows === 30;
  }, { what: 'ls --json to show 100x30', describe: () => JSON.stringify(listed('sized')) });
  t.line('clear; echo "size=$(stty size)"');
  await t.waitFor((s) => /^size=30 100$/m.test(s) && lastRow(s) === INNER_PROMPT.trim());

  // and smaller again
  t.tmux(['resize-window', '-t', 'main', '-x', '50', '-y', '8']);
  await waitFor(() => {
    const s = listed('sized');
    return s?.cols === 50 && s.rows === 8;
  }, { what: 'ls --json to show 50x8', describe: () => JSON.stringify(listed('sized')) });
  t.line('clear; echo "size=$(stty size)"');
  await t.waitFor(/^size=8 50$/m);
});
