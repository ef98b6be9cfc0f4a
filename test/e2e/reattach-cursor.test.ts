import { spawnSync } from 'node:child_process';
import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lines, type TmuxTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The outer terminal (a tmux pane) after a fresh attach is in the state it was in before
 * the detach: cursor position, cursor visibility, keypad and cursor keys, mouse modes,
 * insert/origin/wrap modes, scroll region and alternate screen, as tmux reports them.
 */
const scope = new E2eScope();
afterEach(() => scope.cleanup());

const SIZE = { cols: 60, rows: 12 };

/** What tmux tells about a pane's terminal state (tmux 3.3 has no format for bracketed paste or focus events). */
const STATE_FORMATS = [
  'cursor_x',
  'cursor_y',
  'cursor_flag',
  'keypad_cursor_flag',
  'keypad_flag',
  'mouse_standard_flag',
  'mouse_button_flag',
  'mouse_any_flag',
  'mouse_sgr_flag',
  'mouse_utf8_flag',
  'insert_flag',
  'origin_flag',
  'wrap_flag',
  'scroll_region_upper',
  'scroll_region_lower',
  'alternate_on',
] as const;

function terminalState(t: TmuxTerminal): Record<string, string> {
  const values = t.format(STATE_FORMATS.map((name) => `#{${name}}`).join('|')).split('|');
  return Object.fromEntries(STATE_FORMATS.map((name, i) => [name, values[i] ?? '']));
}

/** The screen and state, once two reads a poll apart agree: the program has finished drawing. */
async function settled(t: TmuxTerminal, ready: (screen: string) => boolean): Promise<{ screen: string; state: Record<string, string> }> {
  let last = '';
  return waitFor(
    () => {
      const screen = t.screen();
      const state = terminalState(t);
      const now = JSON.stringify({ screen, state });
      const same = now === last && ready(screen);
      last = now;
      return same ? { screen, state } : undefined;
    },
    { what: 'the terminal to settle', describe: () => `${last}\n--- history ---\n${t.history(30)}` },
  );
}

/**
 * Runs `start` in a session in terminal A, detaches (Enter, then ~.), attaches from a
 * fresh terminal B of the same size and compares B's screen and state with A's before.
 */
async function expectSameAfterReattach(name: string, start: (a: TmuxTerminal) => Promise<void>, ready: (screen: string) => boolean): Promise<Record<string, string>> {
  const shell = innerShell(scope.world);
  const a = await scope.terminal(SIZE);
  a.line(`gritty new -c ${shell} local:${name}`);
  await a.waitFor(INNER_PROMPT.trim());
  await start(a);
  // the Enter that precedes ~. reaches the program too: the state to compare is the one after it
  a.press('Enter');
  const before = await settled(a, ready);
  a.type('~.');
  await a.waitForOuterPrompt();

  const b = await scope.terminal(SIZE);
  b.line(`gritty attach local:${name}`);
  await b.waitFor((screen) => lines(screen).join('\n') === lines(before.screen).join('\n'), { what: 'the screen from before the detach' });
  // the picture and its trailer may reach tmux in more than one read: give it the time to, then compare
  await waitFor(() => JSON.stringify(terminalState(b)) === JSON.stringify(before.state), { what: 'the state from before' }).catch(() => undefined);
  expect(terminalState(b)).toEqual(before.state);
  return before.state;
}

test('a plain shell: the cursor after the prompt', async () => {
  const state = await expectSameAfterReattach(
    'plain',
    async (a) => {
      // cleared, so that A shows the session's screen row for row, without the command that started it
      a.line('clear; printf "%s\\n" one two three; printf "%060d\\n" 0');
      await a.waitFor('three');
    },
    (s) => lines(s).filter((row) => row.startsWith(INNER_PROMPT.trim())).length >= 2,
  );
  expect(state.cursor_x).toBe(String(INNER_PROMPT.length));
});

test('vim with the mouse on: cursor in the text, keypad and cursor keys, mouse modes', async () => {
  const state = await expectSameAfterReattach(
    'vim',
    async (a) => {
      a.line(`vim -u NONE -N -i NONE -n -c 'set mouse=a laststatus=2' ${scope.world.root}/notes.txt`);
      await a.waitFor((s) => lines(s).filter((row) => row === '~').length >= 3);
      a.type('ifirst line');
      a.press('Enter');
      a.type('second line is here');
      a.press('Escape');
      a.type('0w');
      await a.waitFor((s) => s.includes('second line') && !s.includes('-- INSERT --'));
    },
    (s) => s.includes('second line'),
  );
  expect(state).toMatchObject({ alternate_on: '1', keypad_cursor_flag: '1', keypad_flag: '1', mouse_any_flag: '1' });
});

test('a program that left a scroll region, origin mode, insert mode and no wraparound', async () => {
  const state = await expectSameAfterReattach(
    'modes',
    async (a) => {
      a.line("clear; printf 'top\\n'; printf '\\033[3;8r\\033[?6h\\033[4h\\033[?7l\\033[2;5Hmid'; cat");
      await a.waitFor('mid');
    },
    (s) => s.includes('mid'),
  );
  expect(state).toMatchObject({ scroll_region_upper: '2', scroll_region_lower: '7', origin_flag: '1', insert_flag: '1', wrap_flag: '0' });
});

test('tmux inside the session (full-width status row): the cursor is not one column off, mouse and keypad modes as they were', async () => {
  const shell = innerShell(scope.world);
  const inner = `inner-${process.pid}-${Date.now()}`;
  scope.onCleanup(() => spawnSync('tmux', ['-L', inner, 'kill-server'], { env: { ...scope.world.env, TMUX_TMPDIR: scope.world.root }, timeout: 5_000 }));
  const state = await expectSameAfterReattach(
    'nest',
    async (a) => {
      a.line(`tmux -L ${inner} -f /dev/null new-session ${shell} \\; set -g mouse on \\; set -g status-right ''`);
      await a.waitFor((s) => /^\[0\] 0:/m.test(s) && s.includes(INNER_PROMPT.trim()));
      a.line('echo inside-$((2+3))');
      await a.waitFor('inside-5');
    },
    (s) => lines(s).filter((row) => row.startsWith(INNER_PROMPT.trim())).length >= 3,
  );
  expect(state).toMatchObject({ mouse_sgr_flag: '1', keypad_flag: '1', alternate_on: '1' });
  expect(state.cursor_x).toBe(String(INNER_PROMPT.length));
});
