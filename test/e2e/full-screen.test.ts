import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lastRow, lines } from '../helpers/terminal.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

const SIZE = { cols: 60, rows: 12 };

test('vim comes back intact on a fresh attach and quitting it shows the shell output from before', async () => {
  const shell = innerShell(scope.world);
  const a = await scope.terminal(SIZE);
  a.line(`gritty new -c ${shell} local:vim`);
  await a.waitFor(INNER_PROMPT.trim());
  a.line('echo before-vim-$((6*7))');
  await a.waitFor('before-vim-42');
  a.line(`vim -u NONE -N -i NONE -n -c 'set laststatus=2' ${scope.world.root}/notes.txt`);
  // the command line echo also says notes.txt: wait for vim's own screen before typing
  await a.waitFor((s) => lines(s).filter((row) => row === '~').length >= 3);
  a.type('ihello from vim');
  a.press('Enter');
  a.type('second line');
  a.press('Escape');
  const inVim = await a.waitFor((s) => s.includes('second line') && s.includes('[+]') && !s.includes('-- INSERT --'));
  expect(a.format('#{alternate_on}')).toBe('1');

  a.escape('.');
  const afterDetach = await a.waitForOuterPrompt();
  // the terminal is restored: main screen, cooked mode with echo (scenario: restore after detach)
  expect(a.format('#{alternate_on}')).toBe('0');
  expect(afterDetach).toContain('[detached from local:vim]');
  a.line('clear; stty -a | tr " ;" "\\n\\n" | grep -x -- "-\\?icanon\\|-\\?echo\\|-\\?isig" | sort | tr "\\n" " "; echo');
  await a.waitFor(/^echo icanon isig\s*$/m);

  const b = await scope.terminal(SIZE);
  b.line('gritty attach local:vim');
  const repainted = await b.waitFor((s) => s.includes('second line') && s.includes('[+]'));
  const rows = lines(repainted);
  expect(rows[0]).toBe('hello from vim');
  expect(rows[1]).toBe('second line');
  // the empty-buffer tildes down to the status line, which is on the second-to-last row
  for (let r = 2; r < SIZE.rows - 2; r++) expect(rows[r]).toBe('~');
  expect(rows[SIZE.rows - 2]).toMatch(/notes\.txt \[\+\]/);
  expect(b.format('#{alternate_on}')).toBe('1');
  // vim's own screen is what was there before the detach
  expect(repainted.split('\n').slice(0, SIZE.rows - 1)).toEqual(inVim.split('\n').slice(0, SIZE.rows - 1));

  b.type(':q!');
  b.press('Enter');
  const back = await b.waitFor((s) => lastRow(s) === INNER_PROMPT.trim() && s.includes('before-vim-42'));
  expect(back).toContain('echo before-vim-$((6*7))');
  expect(back).not.toContain('second line');
});
