import type { MessageOf } from '../relay/messages.js';
import type { StatusLine } from './status-line.js';
import { CLEAR_FOR_REPAINT, canvasInPlace, type LocalTerminal } from './terminal.js';

/** A flood that keeps outrunning the client is reported at most this often. */
const LOSS_NOTICE_INTERVAL_MS = 10_000;

/**
 * What this client has put on the terminal, as an absolute session offset: output
 * frames are written once each (an overlap after a resume is trimmed), a snapshot
 * repaints the screen and moves the offset to where the picture was taken.
 */
export class RenderedStream {
  /** Output bytes rendered so far, as an absolute session offset. */
  offset = 0;
  received = 0;
  /** Output bytes skipped because this client fell out of the session's history. */
  lost = 0;
  private lossNoticeAt = -Infinity;
  /** Whether anything of the session is on the terminal yet: a repaint then happens in place. */
  private shown = false;

  constructor(
    private readonly terminal: LocalTerminal,
    private readonly status: StatusLine,
  ) {}

  output(msg: MessageOf<'output'>): void {
    const end = msg.offset + msg.data.length;
    if (end <= this.offset) return;
    const data = msg.offset < this.offset ? msg.data.subarray(this.offset - msg.offset) : msg.data;
    this.terminal.write(data);
    this.offset = end;
    this.received += data.length;
    this.shown = true;
  }

  snapshot(msg: MessageOf<'snapshot'>): void {
    this.terminal.write(this.shown ? canvasInPlace(this.terminal.size.rows) : CLEAR_FOR_REPAINT);
    this.terminal.write(msg.data);
    this.shown = true;
    this.offset = msg.offset;
    if (msg.lost > 0) this.noteLoss(msg.lost);
  }

  /**
   * Output the history no longer held was skipped: say so on the status line, at most
   * once per LOSS_NOTICE_INTERVAL_MS; the next keystroke clears it and repaints under it.
   */
  private noteLoss(lost: number): void {
    this.lost += lost;
    const now = Date.now();
    if (now - this.lossNoticeAt < LOSS_NOTICE_INTERVAL_MS) return;
    this.lossNoticeAt = now;
    this.status.show(`[gritty] ${lost} bytes of output were more than the history holds and were skipped; this is the current screen`);
  }
}
