import type { OutputPump } from './output-pump.js';
import type { RingBuffer } from './ring-buffer.js';

/**
 * How far (bytes not yet written to its socket) the attached client may fall behind
 * before the daemon stops reading the PTY, so the program waits on write() as it would
 * on a plain terminal. A quarter of the default 1 MiB ring: a drained chunk (64 KiB)
 * past the mark still leaves the client far from falling out of the ring, and four
 * full output frames stay queued, so the client never waits on the daemon.
 */
export const LAG_HIGH_BYTES = 256 * 1024;
/** Reading resumes below this: half the high mark, so one pause covers several frames, not one. */
export const LAG_LOW_BYTES = 128 * 1024;
/**
 * A paused PTY whose client has taken no output for this long is read again: the client
 * is asleep, stopped or on a dead link, and the shell must not wait on it. Long enough
 * for a busy machine or a slow link to move one frame, short enough that a program
 * barely notices.
 */
export const STALL_MS = 1_000;

export interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Bounded lag for the one attached client: the PTY is paused while that client is more
 * than the high mark behind the ring's head and still taking output, so a flood reaches
 * its terminal whole instead of skipping to a repaint. A client that stops taking output
 * is given up on (the PTY reads on and it falls out of the ring, as before) until it has
 * caught up again. Tails never pause anything.
 */
export class ReadGate {
  private paused = false;
  private watched: OutputPump | undefined;
  private givenUp: OutputPump | undefined;
  private seen = 0;
  private stall: NodeJS.Timeout | undefined;
  private readonly high: number;
  private readonly low: number;

  constructor(
    private readonly pty: Pausable,
    private readonly ring: RingBuffer,
  ) {
    // a small ring (--ring-bytes) would drop the client before the marks were reached
    this.high = Math.min(LAG_HIGH_BYTES, Math.floor(ring.capacity / 4));
    this.low = Math.min(LAG_LOW_BYTES, Math.floor(this.high / 2));
  }

  /** To be called whenever output is appended or the client's cursor may have moved. */
  update(client: OutputPump | undefined): void {
    const lag = client === undefined ? 0 : this.ring.end - client.offset;
    if (client !== undefined && client === this.givenUp) {
      if (lag > this.low) return this.open();
      this.givenUp = undefined;
    }
    if (client === undefined || lag < this.low || (client !== this.watched && this.paused)) return this.open();
    if (this.paused) {
      this.seen = client.offset;
    } else if (lag > this.high) {
      this.paused = true;
      this.watched = client;
      this.seen = client.offset;
      this.pty.pause();
      this.armStallTimer();
    }
  }

  /** Reads on for good: the program has ended. */
  close(): void {
    this.givenUp = undefined;
    this.open();
  }

  private armStallTimer(): void {
    const before = this.seen;
    this.stall = setTimeout(() => {
      this.stall = undefined;
      if (!this.paused) return;
      if (this.seen !== before) return this.armStallTimer();
      this.givenUp = this.watched;
      this.open();
    }, STALL_MS);
    this.stall.unref();
  }

  private open(): void {
    if (this.stall !== undefined) clearTimeout(this.stall);
    this.stall = undefined;
    this.watched = undefined;
    if (!this.paused) return;
    this.paused = false;
    this.pty.resume();
  }
}
