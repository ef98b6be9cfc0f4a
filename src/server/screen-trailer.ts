/**
 * The end of a screen picture: after the serialized cells, put the real terminal in
 * the state the emulator is in — cursor, scroll region, modes and attributes — so a
 * program that continues drawing where it left off finds the terminal as it left it.
 * Pure: the emulator's state comes in as a record (see emulator-state.ts).
 */

export type Color = { kind: 'default' } | { kind: 'palette'; index: number } | { kind: 'rgb'; rgb: number };

export interface CellStyle {
  fg: Color;
  bg: Color;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  blink: boolean;
  inverse: boolean;
  invisible: boolean;
  strikethrough: boolean;
  overline: boolean;
}

export const DEFAULT_STYLE: CellStyle = {
  fg: { kind: 'default' },
  bg: { kind: 'default' },
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  blink: false,
  inverse: false,
  invisible: false,
  strikethrough: false,
  overline: false,
};

/** The last character printed in a row, for a cursor left past it. */
export interface PrintedCell {
  /** Not empty: an erased cell is a space. */
  chars: string;
  width: 1 | 2;
  style: CellStyle;
}

/**
 * Where the cursor is, 0-based within the screen. `pending-wrap`: a character was just
 * printed in the last column and the next one goes to the next row; no cursor movement
 * can produce that state, so the trailer prints that character again.
 */
export type CursorPlace = { kind: 'at'; x: number; y: number } | { kind: 'pending-wrap'; y: number; last: PrintedCell };

export type MouseTracking = 'none' | 'x10' | 'vt200' | 'drag' | 'any';
export type MouseEncoding = 'default' | 'utf8' | 'sgr' | 'urxvt' | 'sgr-pixels';

export interface TerminalState {
  cols: number;
  rows: number;
  cursor: CursorPlace;
  cursorVisible: boolean;
  /** 0-based, inclusive. */
  scrollRegion: { top: number; bottom: number };
  originMode: boolean;
  insertMode: boolean;
  wraparound: boolean;
  reverseWraparound: boolean;
  applicationCursorKeys: boolean;
  applicationKeypad: boolean;
  bracketedPaste: boolean;
  sendFocus: boolean;
  mouseTracking: MouseTracking;
  mouseEncoding: MouseEncoding;
  /** G0 is the DEC special graphics set (line drawing), as after `ESC ( 0`. */
  lineDrawing: boolean;
  /** The attributes the next printed character gets. */
  style: CellStyle;
}

const CSI = '\x1b[';

const MOUSE_TRACKING_MODES: Record<Exclude<MouseTracking, 'none'>, number> = { x10: 9, vt200: 1000, drag: 1002, any: 1003 };
const MOUSE_ENCODING_MODES: Record<Exclude<MouseEncoding, 'default'>, number> = { utf8: 1005, sgr: 1006, urxvt: 1015, 'sgr-pixels': 1016 };

function decMode(mode: number, on: boolean): string {
  return `${CSI}?${mode}${on ? 'h' : 'l'}`;
}

/** Every mode is set both ways: a repaint in place meets a terminal with the session's old modes. */
export function screenTrailer(state: TerminalState): string {
  const { top, bottom } = state.scrollRegion;
  let out = top === 0 && bottom === state.rows - 1 ? `${CSI}r` : `${CSI}${top + 1};${bottom + 1}r`;
  // both DECSTBM and DECOM home the cursor, so they come before it is placed
  out += decMode(6, state.originMode);
  out += decMode(7, state.wraparound || state.cursor.kind === 'pending-wrap');
  out += decMode(45, state.reverseWraparound);
  out += decMode(1, state.applicationCursorKeys);
  out += state.applicationKeypad ? '\x1b=' : '\x1b>';
  out += decMode(2004, state.bracketedPaste);
  out += decMode(1004, state.sendFocus);
  out += mouseModes(state.mouseTracking, state.mouseEncoding);
  out += decMode(25, state.cursorVisible);
  // the cursor is placed with insert mode off and G0 as ASCII, so reprinting a cell neither shifts the row nor is translated
  out += `${CSI}4l\x1b(B`;
  out += placeCursor(state);
  if (state.insertMode) out += `${CSI}4h`;
  if (state.lineDrawing) out += '\x1b(0';
  return out + sgr(state.style);
}

function mouseModes(tracking: MouseTracking, encoding: MouseEncoding): string {
  let out = '';
  for (const [name, mode] of Object.entries(MOUSE_TRACKING_MODES)) if (name !== tracking) out += decMode(mode, false);
  for (const [name, mode] of Object.entries(MOUSE_ENCODING_MODES)) if (name !== encoding) out += decMode(mode, false);
  if (tracking !== 'none') out += decMode(MOUSE_TRACKING_MODES[tracking], true);
  if (encoding !== 'default') out += decMode(MOUSE_ENCODING_MODES[encoding], true);
  return out;
}

function placeCursor(state: TerminalState): string {
  return cursorTo(state.cursor, { cols: state.cols, firstRow: state.originMode ? state.scrollRegion.top : 0 });
}

/**
 * An absolute position, never a relative move; rows count from `firstRow` (the top of
 * the scroll region under DECOM). A pending wrap prints the last cell again.
 */
export function cursorTo(cursor: CursorPlace, frame: { cols: number; firstRow: number }): string {
  const row = (y: number): number => Math.max(1, y - frame.firstRow + 1);
  if (cursor.kind === 'at') return `${CSI}${row(cursor.y)};${Math.min(cursor.x, frame.cols - 1) + 1}H`;
  const { last } = cursor;
  const column = frame.cols - last.width + 1;
  return `${CSI}${row(cursor.y)};${column}H${sgr(last.style)}${last.chars}`;
}

/** The full attribute set from a reset, so the result does not depend on what was set before. */
export function sgr(style: CellStyle): string {
  const params = ['0'];
  if (style.bold) params.push('1');
  if (style.dim) params.push('2');
  if (style.italic) params.push('3');
  if (style.underline) params.push('4');
  if (style.blink) params.push('5');
  if (style.inverse) params.push('7');
  if (style.invisible) params.push('8');
  if (style.strikethrough) params.push('9');
  if (style.overline) params.push('53');
  params.push(...colorParams(style.fg, 30), ...colorParams(style.bg, 40));
  return `${CSI}${params.join(';')}m`;
}

/** `base` is 30 for the foreground, 40 for the background. */
function colorParams(color: Color, base: 30 | 40): string[] {
  switch (color.kind) {
    case 'default':
      return [];
    case 'palette':
      if (color.index < 8) return [String(base + color.index)];
      if (color.index < 16) return [String(base + 60 + color.index - 8)];
      return [String(base + 8), '5', String(color.index)];
    case 'rgb':
      return [String(base + 8), '2', String((color.rgb >>> 16) & 0xff), String((color.rgb >>> 8) & 0xff), String(color.rgb & 0xff)];
  }
}
