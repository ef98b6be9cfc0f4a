import type { LocalTerminal } from './terminal.js';

/** What the status line needs of the terminal. */
export type StatusTerminal = Pick<LocalTerminal, 'size' | 'write'>;

/**
 * One dim line on the bottom row during an outage (plain with NO_COLOR set). The cursor
 * position and attributes are saved and restored around each paint, so no line of the
 * session is torn; after clearing it the caller asks the server to repaint the screen
 * under it.
 */
export class StatusLine {
  private shown = false;
  private readonly style: string;

  constructor(
    private readonly terminal: StatusTerminal,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.style = env.NO_COLOR !== undefined && env.NO_COLOR !== '' ? '' : '\x1b[2m';
  }

  get isShown(): boolean {
    return this.shown;
  }

  show(text: string): void {
    const { cols, rows } = this.terminal.size;
    const line = text.length > cols - 1 ? text.slice(0, cols - 1) : text;
    this.terminal.write(`\x1b7\x1b[${rows};1H\x1b[2K${this.style}${line}\x1b[0m\x1b8`);
    this.shown = true;
  }

  /** Erases the line; true when there was one. */
  clear(): boolean {
    if (!this.shown) return false;
    const { rows } = this.terminal.size;
    this.terminal.write(`\x1b7\x1b[${rows};1H\x1b[2K\x1b8`);
    this.shown = false;
    return true;
  }
}
