import { afterEach, describe, expect, test } from 'vitest';
import { DEFAULT_STYLE, screenTrailer, sgr, type TerminalState } from '../../src/server/screen-trailer.js';
import { createEmulator, write, type TestEmulator } from '../helpers/emulator.js';

const PLAIN: TerminalState = {
  cols: 80,
  rows: 24,
  cursor: { kind: 'at', x: 2, y: 5 },
  cursorVisible: true,
  scrollRegion: { top: 0, bottom: 23 },
  originMode: false,
  insertMode: false,
  wraparound: true,
  reverseWraparound: false,
  applicationCursorKeys: false,
  applicationKeypad: false,
  bracketedPaste: false,
  sendFocus: false,
  mouseTracking: 'none',
  mouseEncoding: 'default',
  lineDrawing: false,
  style: DEFAULT_STYLE,
};

describe('screenTrailer', () => {
  test('places the cursor absolutely, after the modes that home it', () => {
    const out = screenTrailer(PLAIN);
    expect(out.startsWith('\x1b[r\x1b[?6l')).toBe(true);
    expect(out).toContain('\x1b[6;3H');
    expect(out).not.toMatch(/\x1b\[\d*[ABCD]/);
    expect(out.endsWith('\x1b[0m')).toBe(true);
  });

  test('sets every mode both ways, so a terminal that still has the session\'s old modes is put right', () => {
    const out = screenTrailer(PLAIN);
    for (const mode of ['?25h', '?1l', '?2004l', '?1004l', '?7h', '?9l', '?1000l', '?1002l', '?1003l', '?1005l', '?1006l', '?1015l', '4l']) expect(out).toContain(`\x1b[${mode}`);
    expect(out).toContain('\x1b>');
    const full = screenTrailer({ ...PLAIN, cursorVisible: false, applicationCursorKeys: true, applicationKeypad: true, bracketedPaste: true, sendFocus: true, mouseTracking: 'drag', mouseEncoding: 'sgr', insertMode: true });
    for (const mode of ['?25l', '?1h', '?2004h', '?1004h', '?1002h', '?1006h']) expect(full).toContain(`\x1b[${mode}`);
    expect(full).toContain('\x1b=');
    expect(full).not.toContain('\x1b[?1002l');
    expect(full.indexOf('\x1b[?1002h')).toBeGreaterThan(full.lastIndexOf('\x1b[?1003l'));
    expect(full.lastIndexOf('\x1b[4h')).toBeGreaterThan(full.indexOf('\x1b[6;3H'));
  });

  test('under origin mode the row counts from the top of the scroll region', () => {
    const out = screenTrailer({ ...PLAIN, scrollRegion: { top: 3, bottom: 10 }, originMode: true, cursor: { kind: 'at', x: 0, y: 5 } });
    expect(out).toContain('\x1b[4;11r\x1b[?6h');
    expect(out).toContain('\x1b[3;1H');
  });

  test('a pending wrap is restored by printing the last cell again in its own style', () => {
    const bold = { ...DEFAULT_STYLE, bold: true };
    const out = screenTrailer({ ...PLAIN, cursor: { kind: 'pending-wrap', y: 23, last: { chars: '>', width: 1, style: bold } } });
    expect(out).toContain(`\x1b[24;80H${sgr(bold)}>`);
    const wide = screenTrailer({ ...PLAIN, cursor: { kind: 'pending-wrap', y: 0, last: { chars: '中', width: 2, style: DEFAULT_STYLE } } });
    expect(wide).toContain('\x1b[1;79H\x1b[0m中');
  });

  test('writes colours in the shortest standard form', () => {
    expect(sgr({ ...DEFAULT_STYLE, fg: { kind: 'palette', index: 1 }, bg: { kind: 'palette', index: 12 } })).toBe('\x1b[0;31;104m');
    expect(sgr({ ...DEFAULT_STYLE, fg: { kind: 'palette', index: 200 }, bg: { kind: 'rgb', rgb: 0x0a141e } })).toBe('\x1b[0;38;5;200;48;2;10;20;30m');
  });
});

describe('EmulatorState reads what @xterm/headless keeps only internally', () => {
  const emulators: TestEmulator[] = [];
  afterEach(() => {
    for (const emu of emulators.splice(0)) emu.term.dispose();
  });
  function emulator(): TestEmulator {
    const emu = createEmulator({ cols: 20, rows: 6, scrollback: 10 });
    emulators.push(emu);
    return emu;
  }

  // each of these falls back to a default if xterm.js's internals change: this test says so
  test('cursor visibility, scroll region, current attributes and charset', async () => {
    const emu = emulator();
    await write(emu, '\x1b[?25l\x1b[2;5r\x1b[1;32m\x1b(0');
    const state = emu.state.read();
    expect(state.cursorVisible).toBe(false);
    expect(state.scrollRegion).toEqual({ top: 1, bottom: 4 });
    expect(state.style).toEqual({ ...DEFAULT_STYLE, bold: true, fg: { kind: 'palette', index: 2 } });
    expect(state.lineDrawing).toBe(true);
  });

  test('the mouse encoding follows set, reset and a full reset', async () => {
    const emu = emulator();
    await write(emu, '\x1b[?1015h');
    expect(emu.state.read().mouseEncoding).toBe('urxvt');
    await write(emu, '\x1b[?1006h\x1b[?1015l');
    expect(emu.state.read().mouseEncoding).toBe('sgr');
    await write(emu, '\x1b[?1006l');
    expect(emu.state.read().mouseEncoding).toBe('default');
    await write(emu, '\x1b[?1005h\x1bc');
    expect(emu.state.read().mouseEncoding).toBe('default');
  });
});
