import fc from 'fast-check';
import { afterEach, expect, test } from 'vitest';
import { CLEAR_FOR_REPAINT } from '../../src/client/terminal.js';
import { styleOf } from '../../src/server/emulator-state.js';
import { picture } from '../../src/server/screen-picture.js';
import { createEmulator, write, type TestEmulator } from '../helpers/emulator.js';

/**
 * Random programs built from what the picture restores (text, cursor moves, line feeds,
 * erases, attributes, the modes, charsets, the alternate screen): after the picture, a
 * terminal is in the program's state and stays equal to it under the same continuation.
 * Left to the example tests, for gaps of the serialize addon's own drawing: scroll
 * regions (text wrapping below one is drawn differently) and background colours (rows
 * erased with one below the last written row come back with the default one).
 */
const SIZE = { cols: 16, rows: 6 };
const SCROLLBACK = 50;
const RUNS = 500;
const emulators: TestEmulator[] = [];
afterEach(() => {
  for (const emu of emulators.splice(0)) emu.term.dispose();
});

function emulator(): TestEmulator {
  const emu = createEmulator({ ...SIZE, scrollback: SCROLLBACK });
  emulators.push(emu);
  return emu;
}

/** Every visible cell with its style; the cursor is compared as EmulatorState reads it. */
function screenOf(emu: TestEmulator): unknown {
  const buffer = emu.term.buffer.active;
  const rows: unknown[] = [];
  for (let y = 0; y < emu.term.rows; y++) {
    const line = buffer.getLine(buffer.baseY + y)!;
    const cells: unknown[] = [];
    for (let x = 0; x < emu.term.cols; x++) {
      const cell = line.getCell(x)!;
      // an erased cell and a written space look the same
      cells.push([cell.getChars() === '' ? ' ' : cell.getChars(), styleOf(cell)]);
    }
    rows.push(cells);
  }
  return { type: buffer.type, rows };
}

// not DECAWM (7): xterm.js keeps a pending wrap across turning it off and on, terminals differ
const DEC_MODES = [1, 6, 9, 25, 45, 1000, 1002, 1003, 1004, 1005, 1006, 1015, 2004];
const piece = fc.oneof(
  fc.stringMatching(/^[a-z ]{1,20}$/),
  fc.constantFrom('\r\n', '\n', '\r', '\b', '\t'),
  fc.tuple(fc.integer({ min: 1, max: SIZE.rows }), fc.integer({ min: 1, max: SIZE.cols })).map(([r, c]) => `\x1b[${r};${c}H`),
  fc.constantFrom(...DEC_MODES).chain((mode) => fc.boolean().map((on) => `\x1b[?${mode}${on ? 'h' : 'l'}`)),
  fc.boolean().map((on) => `\x1b[4${on ? 'h' : 'l'}`),
  fc.constantFrom('\x1b=', '\x1b>', '\x1b(0', '\x1b(B', '\x1b[2J', '\x1b[K'),
  fc.constantFrom('\x1b[0m', '\x1b[1m', '\x1b[2m', '\x1b[3m', '\x1b[4m', '\x1b[7m', '\x1b[9m', '\x1b[31m', '\x1b[38;5;200m', '\x1b[38;2;1;2;3m', '\x1b[22m', '\x1b[39m'),
);
const program = fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join(''));

test('a picture puts a terminal in the program\'s state, which stays equal under the same continuation', async () => {
  await fc.assert(
    fc.asyncProperty(program, program, fc.boolean(), async (main, more, enterAlternate) => {
      const before = enterAlternate ? `${main}\x1b[?1049h${more}` : main;
      // the way back from the alternate screen restores what the main screen saved
      const after = enterAlternate ? `${more}\x1b[?1049lz` : more;
      const a = emulator();
      const b = emulator();
      await write(a, before);
      await write(b, CLEAR_FOR_REPAINT + picture(a, SCROLLBACK, 1_000_000));
      expect(b.state.read()).toEqual(a.state.read());
      expect(screenOf(b)).toEqual(screenOf(a));
      await write(a, after);
      await write(b, after);
      expect(screenOf(b)).toEqual(screenOf(a));
      expect(b.state.read()).toEqual(a.state.read());
      for (const emu of emulators.splice(0)) emu.term.dispose();
    }),
    { numRuns: RUNS },
  );
});
