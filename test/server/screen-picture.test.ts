import { afterEach, describe, expect, test } from 'vitest';
import { CLEAR_FOR_REPAINT, canvasInPlace } from '../../src/client/terminal.js';
import { styleOf } from '../../src/server/emulator-state.js';
import { picture } from '../../src/server/screen-picture.js';
import { createEmulator, write, type TestEmulator as Emulator } from '../helpers/emulator.js';

/**
 * Round trips: a program's output goes into emulator A; A's picture goes into a fresh
 * emulator B, as a client paints it on its terminal. B must then be in A's state, and
 * stay equal to A when the program carries on drawing. xterm.js, like a real terminal,
 * has a pending-wrap state after a full row, so the cursor's placement is tested here.
 */
const emulators: Emulator[] = [];
afterEach(() => {
  for (const emu of emulators.splice(0)) emu.term.dispose();
});

const SCROLLBACK = 100;
const ENOUGH_CHARS = 1_000_000;

function emulator(cols: number, rows: number): Emulator {
  const emu = createEmulator({ cols, rows, scrollback: SCROLLBACK });
  emulators.push(emu);
  return emu;
}

/** Every visible cell with its style, and the cursor. */
function screenOf(emu: Emulator): unknown {
  const buffer = emu.term.buffer.active;
  const rows: unknown[] = [];
  for (let y = 0; y < emu.term.rows; y++) {
    const line = buffer.getLine(buffer.baseY + y)!;
    const cells: unknown[] = [];
    for (let x = 0; x < emu.term.cols; x++) {
      const cell = line.getCell(x)!;
      cells.push([cell.getChars(), cell.getWidth(), styleOf(cell)]);
    }
    rows.push([line.translateToString(true), cells]);
  }
  return { type: buffer.type, cursor: [buffer.cursorX, buffer.cursorY], rows };
}

/** `shown`: what the client's terminal showed before, painted over in place. */
async function expectRoundTrip(size: { cols: number; rows: number }, program: string, continuation: string, shown?: string): Promise<string> {
  const a = emulator(size.cols, size.rows);
  const b = emulator(size.cols, size.rows);
  await write(a, program);
  const shot = picture(a, SCROLLBACK, ENOUGH_CHARS);
  if (shown !== undefined) await write(b, shown + canvasInPlace(size.rows));
  else await write(b, CLEAR_FOR_REPAINT);
  await write(b, shot);
  expect(b.state.read()).toEqual(a.state.read());
  expect(screenOf(b)).toEqual(screenOf(a));
  await write(a, continuation);
  await write(b, continuation);
  expect(screenOf(b)).toEqual(screenOf(a));
  expect(b.state.read()).toEqual(a.state.read());
  return shot;
}

describe('a screen picture restores the terminal as the program left it', () => {
  test('a shell prompt: the cursor after it, typing continues there', async () => {
    await expectRoundTrip({ cols: 30, rows: 6 }, 'one\r\ntwo\r\n$ ', 'ls -l\r\nout\r\n$ ');
  });

  test('a full-width status row at the bottom and the cursor placed above it (tmux): not one column short', async () => {
    const status = `\x1b[42m\x1b[30m${'[0] 0:bash*'.padEnd(40, ' ')}\x1b[0m`;
    const program = `\x1b[?1049h\x1b[H\x1b[2J$ echo hi\r\nhi\r\n$ \x1b[6;1H${status}\x1b[3;3H\x1b[?1h\x1b=\x1b[?1000h\x1b[?1006h`;
    const shot = await expectRoundTrip({ cols: 40, rows: 6 }, program, 'typed');
    expect(shot).toMatch(/\x1b\[3;3H/);
  });

  test('a cursor left in pending wrap after a full row: the next character goes to the next row', async () => {
    await expectRoundTrip({ cols: 10, rows: 4 }, `$ ${'x'.repeat(8)}`, 'Y\r\n$ ');
  });

  test('a wide character in the last two columns, cursor in pending wrap', async () => {
    await expectRoundTrip({ cols: 10, rows: 4 }, `\x1b[1;31m$ ${'x'.repeat(6)}中\x1b[0m`, 'Y');
  });

  test('a scroll region with origin mode: line feeds scroll only the region', async () => {
    await expectRoundTrip({ cols: 20, rows: 8 }, 'top\r\n\x1b[8;1Hbottom\x1b[2;6r\x1b[?6h\x1b[3;4Hin region', '\n\n\n\nafter\r\n\n\nmore');
  });

  test('full-screen modes: alternate screen, hidden cursor, keypad, bracketed paste, mouse, focus, current attributes', async () => {
    const program = 'main screen\r\n$ vim\x1b[?1049h\x1b[H\x1b[2Jfile line\x1b[?25l\x1b[?2004h\x1b=\x1b[?1h\x1b[?1002h\x1b[?1015h\x1b[?1004h\x1b[5;2H\x1b[1;3;38;2;10;20;30;48;5;200m';
    await expectRoundTrip({ cols: 30, rows: 6 }, program, 'styled\x1b[?1049l$ ');
  });

  test('insert mode, no wraparound, reverse wraparound, X10 mouse with UTF-8 coordinates', async () => {
    await expectRoundTrip({ cols: 12, rows: 4 }, 'abcdef\x1b[4h\x1b[?7l\x1b[?45h\x1b[?9h\x1b[?1005h\x1b[1;3H', 'XY long line beyond the edge');
  });

  test('line drawing left selected (ESC ( 0): the next letters are drawn as lines', async () => {
    await expectRoundTrip({ cols: 12, rows: 4 }, 'box \x1b(0lqqk', 'qqx\x1b(Bqq');
  });

  test('scrollback and a prompt on the last row', async () => {
    let program = '';
    for (let i = 0; i < 40; i++) program += `line ${i}\r\n`;
    await expectRoundTrip({ cols: 20, rows: 6 }, `${program}$ `, 'next\r\n$ ');
  });

  test('the way back from the alternate screen restores the attributes and charset the main screen saved', async () => {
    await expectRoundTrip({ cols: 20, rows: 6 }, '$ \x1b[3m\x1b(0\x1b[?1049h\x1b[0m\x1b(Bin vim', '\x1b[?1049lqq after');
  });

  test('a repaint in place, over a terminal still in the modes of an earlier picture', async () => {
    const earlier = '\x1b[3;5r\x1b[?6h\x1b[4h\x1b[?7l\x1b[7m\x1b(0\x1b[?1003h\x1b[2;2Hxyz';
    await expectRoundTrip({ cols: 20, rows: 8 }, 'plain\r\nshell\r\n1\r\n2\r\n3\r\n4\r\n$ a command longer than a row', 'typed\r\nmore\r\n', earlier);
  });
});
