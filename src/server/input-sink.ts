import { GrittyError } from '../relay/errors.js';
import { INPUT_WINDOW_BYTES } from '../relay/messages.js';
import { ReceiveCursor } from '../relay/send-window.js';
import type { Pty } from './pty.js';

/**
 * An acknowledgement below half a window waits up to this long for an output frame to
 * ride on; a keystroke's echo takes it within a millisecond or so. Only input that no
 * output follows (a password, a silent program) waits it out, and its acknowledgement
 * still comes long before the client probes the link (PROBE_AFTER_MS, 2 s).
 */
export const ACK_DELAY_MS = 500;

/**
 * A session's terminal input: offsets from the session's start, so a resent frame after
 * a reconnect is written once, and acknowledgements of what the PTY took, which are the
 * client's flow-control credit and resend point.
 */
export class InputSink {
  private readonly cursor = new ReceiveCursor(0);
  private reported = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pty: Pty,
    private readonly sendAck: (offset: number) => void,
  ) {
    pty.onWritten(() => this.progress());
  }

  /** Where the client's input continues: everything before it is in the session. */
  get received(): number {
    return this.cursor.received;
  }

  /** Takes input at `offset` (no offset: appended as is, for simple scripted peers). */
  receive(offset: number | undefined, data: Buffer): void {
    const fresh = offset === undefined ? this.append(data) : this.cursor.accept(offset, data);
    if (fresh === undefined) return;
    if (this.cursor.received - this.pty.written > INPUT_WINDOW_BYTES) {
      throw new GrittyError('bad-message', `input beyond the ${INPUT_WINDOW_BYTES}-byte window: wait for acknowledgements`);
    }
    this.pty.write(fresh);
    this.progress();
  }

  /**
   * The acknowledgement due, taken for a frame about to be sent. The timer is left to
   * run out rather than cleared: a cleared Node timer still wakes the loop when libuv's
   * timer comes due, so clearing it per echo and arming it per keystroke cost a
   * setTimeout and a wake-up each; left armed, it wakes at most once per ACK_DELAY_MS.
   */
  takeAck(): number | undefined {
    const written = this.pty.written;
    if (written === this.reported) return undefined;
    this.reported = written;
    return written;
  }

  /** Reports everything taken so far on the next frame, as after a resume. */
  forgetReported(): void {
    this.reported = -1;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private append(data: Buffer): Buffer {
    this.cursor.received += data.length;
    return data;
  }

  private progress(): void {
    const unreported = this.pty.written - this.reported;
    if (unreported <= 0) return;
    if (unreported >= INPUT_WINDOW_BYTES / 2) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const offset = this.takeAck();
    if (offset !== undefined) this.sendAck(offset);
  }
}
