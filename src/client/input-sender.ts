import { INPUT_WINDOW_BYTES } from '../relay/messages.js';
import { SendWindow } from '../relay/send-window.js';

/**
 * Typed input held at most: sent and unacknowledged, or waiting for the link. Past it
 * the terminal is not read while connected (the paste simply waits), and while the
 * link is down further keystrokes are dropped and the status line says how many.
 */
export const INPUT_HELD_BYTES = 1 << 20;
/** Largest input frame. */
const INPUT_CHUNK_BYTES = 64 * 1024;

/**
 * The client's end of the terminal input stream: every keystroke has a session offset
 * and is kept until the session acknowledges that its PTY took it, so input typed into
 * a link that died silently is resent after the reconnect, and written exactly once.
 */
export class InputSender {
  private window = new SendWindow(0, INPUT_HELD_BYTES);
  private anchored = false;

  get held(): number {
    return this.window.held;
  }

  get full(): boolean {
    return this.window.space <= 0;
  }

  /** Whether input was sent that the session has not acknowledged yet. */
  get awaitingAck(): boolean {
    return this.window.inFlight > 0;
  }

  /** Keeps `data` for sending; returns how many bytes did not fit and were dropped. */
  write(data: Buffer): number {
    const fits = Math.max(0, Math.min(data.length, this.window.space));
    this.window.push(data.subarray(0, fits));
    return data.length - fits;
  }

  /**
   * Where the session's input continues, from `attached`. The first attach anchors the
   * stream there (what was typed before connecting follows); a resume resends from it.
   */
  continueAt(offset: number): void {
    if (this.anchored) {
      this.window.rewind(offset);
      return;
    }
    this.anchored = true;
    const typed = this.window.takeUnsent(Number.MAX_SAFE_INTEGER);
    this.window = new SendWindow(offset, INPUT_HELD_BYTES);
    if (typed !== undefined) this.window.push(typed.data);
  }

  ack(offset: number): void {
    this.window.ack(offset);
  }

  /** Sends what the window allows: at most INPUT_WINDOW_BYTES unacknowledged. */
  flush(send: (offset: number, data: Buffer) => void): boolean {
    let sent = false;
    while (this.anchored && this.window.hasUnsent) {
      const room = Math.min(INPUT_CHUNK_BYTES, INPUT_WINDOW_BYTES - this.window.inFlight);
      if (room <= 0) break;
      const chunk = this.window.takeUnsent(room)!;
      send(chunk.offset, chunk.data);
      sent = true;
    }
    return sent;
  }
}
