import type { LocalTerminal } from './terminal.js';

/**
 * One dim line on the bottom row during an outage. The cursor position and attributes
 * are saved and restored around each paint, so no line of the session is torn; after
 * clearing it the caller asks the server to repaint the screen under it.
 */
export class StatusLine {
  private shown = false;

  constructor(private readonly terminal: LocalTerminal) {}

  get isShown(): boolean {
    return this.shown;
  }

  show(text: string): void {
    const { cols, rows } = this.terminal.size;
    const line = text.length > cols - 1 ? text.slice(0, cols - 1) : text;
    this.terminal.write(`\x1b7\x1b[${rows};1H\x1b[2K\x1b[2m${line}\x1b[0m\x1b8`);
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
