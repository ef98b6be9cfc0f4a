import type { EmulatorState, HeadlessTerminal } from './emulator-state.js';
import { cursorTo, screenTrailer, sgr } from './screen-trailer.js';

/** One session's headless terminal and its serializer (@xterm/addon-serialize), as a live screen keeps them. */
export interface Emulator {
  term: HeadlessTerminal;
  serializer: { serialize(options: { scrollback: number; excludeModes: boolean }): string };
  state: EmulatorState;
}

/** Where the serialize addon switches to the alternate screen before drawing it. */
const ALT_SCREEN_SEAM = '\x1b[?1049h\x1b[H';

/**
 * The screen with as much scrollback as fits, then the trailer that puts cursor, modes
 * and attributes as the emulator has them (screen-trailer.ts). The serialize addon's own
 * ending places the cursor with a relative move, which lands one column short after a
 * full last row (the real terminal's pending wrap), and restores only some modes.
 */
export function picture(emu: Emulator, scrollback: number, maxChars: number): string {
  const trailer = screenTrailer(emu.state.read());
  return serializeWithin(emu, scrollback, maxChars - trailer.length) + trailer;
}

/** The screen plus as much scrollback as fits in `maxChars`. */
function serializeWithin(emu: Emulator, scrollback: number, maxChars: number): string {
  for (let lines = scrollback; ; lines = Math.floor(lines / 2)) {
    const data = withMainScreenLeft(emu, withoutNullMoves(emu.serializer.serialize({ scrollback: lines, excludeModes: true })));
    if (data.length <= maxChars || lines === 0) return data.slice(0, maxChars);
  }
}

/**
 * The addon's trick for a wrapped row after an empty one moves the cursor by `CSI 0 C`
 * / `CSI 0 D`, meaning no move; a terminal moves one column for 0, leaving a stray '-'.
 * Its cells never hold an escape, so these can only be its own moves.
 */
function withoutNullMoves(data: string): string {
  return data.replaceAll('\x1b[0C', '').replaceAll('\x1b[0D', '');
}

/**
 * In the alternate screen the addon draws the main screen, then switches. At the switch
 * the real terminal saves the cursor, attributes and charset (restored on the program's return
 * to the main screen), so they are set as the main screen saved them, the cursor
 * absolutely; after it attributes and charset are reset, as the addon draws the
 * alternate screen from the defaults.
 */
function withMainScreenLeft(emu: Emulator, data: string): string {
  if (emu.term.buffer.active.type !== 'alternate') return data;
  const seam = data.lastIndexOf(ALT_SCREEN_SEAM);
  if (seam < 0) return data;
  const charset = emu.state.savedMainLineDrawing() ? '\x1b(0' : '';
  // the picture is drawn without DECOM, so rows count from the top of the screen
  const place = `${cursorTo(emu.state.mainCursor(), { cols: emu.term.cols, firstRow: 0 })}${sgr(emu.state.savedMainStyle())}${charset}`;
  return `${data.slice(0, seam)}${place}\x1b[?1049h\x1b[0m\x1b(B${data.slice(seam + '\x1b[?1049h'.length)}`;
}

