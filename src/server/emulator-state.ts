import { DEFAULT_STYLE, type CellStyle, type Color, type CursorPlace, type MouseEncoding, type TerminalState } from './screen-trailer.js';

/** A cell as @xterm/headless's buffer API shows it. */
export type CellView = StyleSource & { getChars(): string; getWidth(): number };

export interface BufferView {
  readonly type: 'normal' | 'alternate';
  readonly cursorX: number;
  readonly cursorY: number;
  readonly baseY: number;
  getLine(y: number): { getCell(x: number): CellView | undefined; translateToString(trimRight?: boolean): string } | undefined;
}

/**
 * The parts of @xterm/headless's Terminal used outside the worker's entry file, as a
 * structural type: only screen-emulator.ts imports the package (test/architecture.test.ts).
 */
export interface HeadlessTerminal {
  readonly cols: number;
  readonly rows: number;
  readonly modes: {
    readonly applicationCursorKeysMode: boolean;
    readonly applicationKeypadMode: boolean;
    readonly bracketedPasteMode: boolean;
    readonly insertMode: boolean;
    readonly mouseTrackingMode: 'none' | 'x10' | 'vt200' | 'drag' | 'any';
    readonly originMode: boolean;
    readonly reverseWraparoundMode: boolean;
    readonly sendFocusMode: boolean;
    readonly wraparoundMode: boolean;
  };
  readonly buffer: { readonly active: BufferView; readonly normal: BufferView };
  readonly parser: {
    registerCsiHandler(id: { prefix?: string; final: string }, callback: (params: (number | number[])[]) => boolean): unknown;
    registerEscHandler(id: { final: string }, handler: () => boolean): unknown;
  };
}

/**
 * Reads a headless terminal's state for the screen trailer.
 *
 * Public API where @xterm/headless has it (`modes`, the active buffer's cursor and
 * cells, parser hooks). Four things it does not expose are read from its core, each
 * guarded so that a changed internal yields the default rather than a crash:
 * cursor visibility (`coreService.isCursorHidden`), the scroll region (active buffer's
 * `scrollTop`/`scrollBottom`), the current attributes (`_inputHandler.getAttrData()`,
 * which @xterm/addon-serialize reads the same way), the G0 charset
 * (`_charsetService.charset`) and what the main screen saved on the switch to the
 * alternate one (`buffers.normal.savedCurAttrData`, `savedCharset`). test/server/emulator-state.test.ts fails if any of them
 * stops being read. The mouse encoding is tracked here with parser hooks, because
 * xterm.js keeps only SGR and drops 1005/1015.
 */
export class EmulatorState {
  private mouseEncoding: MouseEncoding = 'default';

  constructor(private readonly term: HeadlessTerminal) {
    const track = (on: boolean) => (params: (number | number[])[]) => {
      for (const param of params) if (typeof param === 'number') this.onMouseEncoding(param, on);
      return false; // the emulator handles the sequence as well
    };
    term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, track(true));
    term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, track(false));
    term.parser.registerEscHandler({ final: 'c' }, () => {
      this.reset();
      return false;
    });
  }

  /** After a full reset of the emulator. */
  reset(): void {
    this.mouseEncoding = 'default';
  }

  read(): TerminalState {
    const { term } = this;
    const core = coreOf(term);
    const modes = term.modes;
    return {
      cols: term.cols,
      rows: term.rows,
      cursor: this.cursorIn(term.buffer.active),
      cursorVisible: core?.coreService?.isCursorHidden !== true,
      scrollRegion: scrollRegion(core, term.rows),
      originMode: modes.originMode,
      insertMode: modes.insertMode,
      wraparound: modes.wraparoundMode,
      reverseWraparound: modes.reverseWraparoundMode,
      applicationCursorKeys: modes.applicationCursorKeysMode,
      applicationKeypad: modes.applicationKeypadMode,
      bracketedPaste: modes.bracketedPasteMode,
      sendFocus: modes.sendFocusMode,
      mouseTracking: modes.mouseTrackingMode,
      mouseEncoding: this.mouseEncoding,
      lineDrawing: isLineDrawing(core?._charsetService?.charset),
      style: currentStyle(core),
    };
  }

  /**
   * The attributes the main screen saved on the switch to the alternate one (DECSC at
   * `CSI ? 1049 h`), restored on the way back.
   */
  savedMainStyle(): CellStyle {
    return styleFrom(coreOf(this.term)?.buffers?.normal?.savedCurAttrData);
  }

  /** Whether the main screen saved G0 as line drawing on the switch to the alternate one. */
  savedMainLineDrawing(): boolean {
    return isLineDrawing(coreOf(this.term)?.buffers?.normal?.savedCharset);
  }

  /** Where the main screen's cursor is, also while the alternate screen is shown. */
  mainCursor(): CursorPlace {
    return this.cursorIn(this.term.buffer.normal);
  }

  private cursorIn(buffer: BufferView): CursorPlace {
    const { cols } = this.term;
    const y = buffer.cursorY;
    // past the last column without wraparound: the last column, as on a real terminal
    if (buffer.cursorX < cols || !this.term.modes.wraparoundMode) return { kind: 'at', x: Math.min(buffer.cursorX, cols - 1), y };
    // past the last column: xterm.js's pending wrap
    const line = buffer.getLine(buffer.baseY + y);
    let cell = line?.getCell(cols - 1);
    if (cell !== undefined && cell.getWidth() === 0 && cols >= 2) cell = line?.getCell(cols - 2);
    if (cell === undefined) return { kind: 'at', x: cols - 1, y };
    // an erased cell is printed again as the space it shows
    return { kind: 'pending-wrap', y, last: { chars: cell.getChars() || ' ', width: cell.getWidth() === 2 ? 2 : 1, style: styleOf(cell) } };
  }

  private onMouseEncoding(mode: number, on: boolean): void {
    const encoding = ENCODING_OF_MODE[mode];
    if (encoding === undefined) return;
    if (on) this.mouseEncoding = encoding;
    else if (this.mouseEncoding === encoding) this.mouseEncoding = 'default';
  }
}

const ENCODING_OF_MODE: Partial<Record<number, MouseEncoding>> = { 1005: 'utf8', 1006: 'sgr', 1015: 'urxvt', 1016: 'sgr-pixels' };

const STYLE_ACCESSORS = [
  'isBold',
  'isDim',
  'isItalic',
  'isUnderline',
  'isBlink',
  'isInverse',
  'isInvisible',
  'isStrikethrough',
  'isOverline',
  'isFgPalette',
  'isFgRGB',
  'getFgColor',
  'isBgPalette',
  'isBgRGB',
  'getBgColor',
] as const;

/** The attribute accessors a buffer cell and xterm.js's internal attribute data share (flags are non-zero when set). */
export type StyleSource = Record<(typeof STYLE_ACCESSORS)[number], () => number | boolean>;

export function styleOf(cell: StyleSource): CellStyle {
  return {
    fg: colorOf(isSet(cell.isFgRGB()), isSet(cell.isFgPalette()), Number(cell.getFgColor())),
    bg: colorOf(isSet(cell.isBgRGB()), isSet(cell.isBgPalette()), Number(cell.getBgColor())),
    bold: isSet(cell.isBold()),
    dim: isSet(cell.isDim()),
    italic: isSet(cell.isItalic()),
    underline: isSet(cell.isUnderline()),
    blink: isSet(cell.isBlink()),
    inverse: isSet(cell.isInverse()),
    invisible: isSet(cell.isInvisible()),
    strikethrough: isSet(cell.isStrikethrough()),
    overline: isSet(cell.isOverline()),
  };
}

function isSet(flag: number | boolean): boolean {
  return flag !== 0 && flag !== false;
}

function colorOf(rgb: boolean, palette: boolean, value: number): Color {
  if (rgb) return { kind: 'rgb', rgb: value };
  if (palette) return { kind: 'palette', index: value };
  return { kind: 'default' };
}

/** The parts of xterm.js's core read here; every one may be missing in another version. */
interface CoreInternals {
  coreService?: { isCursorHidden?: unknown };
  buffer?: { scrollTop?: unknown; scrollBottom?: unknown };
  _inputHandler?: { getAttrData?: () => unknown };
  _charsetService?: { charset?: Record<string, string | undefined> };
  buffers?: { normal?: { savedCurAttrData?: unknown; savedCharset?: Record<string, string | undefined> } };
}

function coreOf(term: HeadlessTerminal): CoreInternals | undefined {
  const core = (term as unknown as { _core?: unknown })._core;
  return typeof core === 'object' && core !== null ? (core as CoreInternals) : undefined;
}

/** The DEC special graphics set maps `q` to a horizontal line. */
function isLineDrawing(charset: Record<string, string | undefined> | undefined): boolean {
  return charset?.['q'] === '─';
}

function scrollRegion(core: CoreInternals | undefined, rows: number): { top: number; bottom: number } {
  const top = core?.buffer?.scrollTop;
  const bottom = core?.buffer?.scrollBottom;
  if (typeof top !== 'number' || typeof bottom !== 'number' || top < 0 || bottom >= rows || top >= bottom) return { top: 0, bottom: rows - 1 };
  return { top, bottom };
}

function currentStyle(core: CoreInternals | undefined): CellStyle {
  return styleFrom(core?._inputHandler?.getAttrData?.());
}

function styleFrom(attrs: unknown): CellStyle {
  if (typeof attrs !== 'object' || attrs === null) return DEFAULT_STYLE;
  if (!STYLE_ACCESSORS.every((key) => typeof (attrs as Record<string, unknown>)[key] === 'function')) return DEFAULT_STYLE;
  return styleOf(attrs as StyleSource);
}
