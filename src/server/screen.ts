import type { RingBuffer } from './ring-buffer.js';
import type { ScreenHost } from './screen-host.js';

/** Scrollback lines each emulator keeps, and the most a fresh attach repaints (tmux's default history is 2000). */
export const SNAPSHOT_SCROLLBACK_LINES = 2000;
/** Bytes posted to the worker and not yet parsed; beyond it the emulator reads from the ring later. */
const IN_FLIGHT_BYTES = 256 * 1024;
/** One post to the worker at most. */
const CHUNK_BYTES = 64 * 1024;
/** How long new output waits before the emulator is fed: the client gets it first. */
const FEED_DELAY_MS = 5;
/** Unparsed output beyond which the emulator stops chasing every byte of a flood. */
const FLOOD_BACKLOG_BYTES = 512 * 1024;
/** What it parses of a flood's end when it catches up: far more than a screenful. */
const FLOOD_TAIL_BYTES = 128 * 1024;
/** How often it catches up during a flood. */
const FLOOD_SETTLE_MS = 250;
/** How far past the skip point a line start is looked for. */
const NEWLINE_SEARCH_BYTES = 4096;
/**
 * Resizes waiting for the emulator to reach their offset. Each follows output (a program
 * that redraws on SIGWINCH), so this many is far more than a screenful of them; beyond it
 * the newest replaces the last queued one, a little early.
 */
const MAX_QUEUED_RESIZES = 64;
/** What a snapshot that could not be taken shows instead: one dim line. */
export const SNAPSHOT_FAILED_NOTICE = '\x1b[2m[gritty] the screen could not be restored; press Ctrl-L to redraw\x1b[0m\r\n';

export interface Snapshot {
  /** Ring offset the picture corresponds to: the stream continues from here. */
  offset: number;
  data: Buffer;
}

/**
 * One session's emulator, seen from the relay: another reader of the ring with its
 * own cursor and a bounded number of bytes in flight, so a flood of output never
 * queues unboundedly in front of the worker. Resizes are applied at the offset at
 * which they happened.
 */
export class Screen {
  private fed: number;
  /** Bytes posted to the worker and not yet parsed. */
  private inFlight = 0;
  private resizes: { at: number; size: Size }[] = [];
  /** The emulator's size once every queued resize is applied. */
  private size: Size;
  /** The size last sent to the worker. */
  private applied: Size;
  private floodTimer: NodeJS.Timeout | undefined;
  private feedTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: ScreenHost,
    private readonly id: string,
    private readonly ring: RingBuffer,
    size: Size,
  ) {
    this.fed = ring.end;
    this.size = size;
    this.applied = size;
    this.host.post({ op: 'open', id, cols: size.cols, rows: size.rows, scrollback: SNAPSHOT_SCROLLBACK_LINES });
  }

  /**
   * Queues a resize at the current end of output, for the next feed. Only a real change
   * is queued, and a burst between two outputs is one resize: the emulator only ever
   * sees the last (100 000 resize frames once made it resize 100 000 times, queueing
   * 30 s of work and ~100 MB in front of the worker).
   */
  resize(cols: number, rows: number): void {
    if (sameSize(this.size, { cols, rows })) return;
    this.size = { cols, rows };
    const last = this.resizes.at(-1);
    if (last !== undefined && (last.at === this.ring.end || this.resizes.length >= MAX_QUEUED_RESIZES)) last.size = this.size;
    else this.resizes.push({ at: this.ring.end, size: this.size });
    this.feedSoon();
  }

  /** In a new worker after the old one died: the emulator starts over from the oldest output held. */
  rebuild(): void {
    clearTimeout(this.floodTimer);
    clearTimeout(this.feedTimer);
    this.floodTimer = undefined;
    this.feedTimer = undefined;
    this.resizes = [];
    this.inFlight = 0;
    this.fed = this.ring.start;
    this.applied = this.size;
    this.host.post({ op: 'open', id: this.id, cols: this.size.cols, rows: this.size.rows, scrollback: SNAPSHOT_SCROLLBACK_LINES });
    this.pump();
  }

  /**
   * Feeds the worker a moment later, once per FEED_DELAY_MS at most: the worker then
   * wakes once for a burst of output (a keystroke's echo, a screenful) rather than per
   * read, and not while that echo is still on its way to the client.
   */
  feedSoon(): void {
    this.feedTimer ??= setTimeout(() => {
      this.feedTimer = undefined;
      this.pump();
    }, FEED_DELAY_MS);
  }

  /**
   * Feeds the worker what the ring holds beyond the cursor, within the in-flight bound.
   * During a flood (more unparsed output than FLOOD_BACKLOG_BYTES) it does not chase
   * every byte: every FLOOD_SETTLE_MS it jumps to the last FLOOD_TAIL_BYTES, so parsing
   * takes a sliver of a core instead of a whole one that the relay needs.
   */
  pump(limit = IN_FLIGHT_BYTES): void {
    if (this.fed < this.ring.start) this.skipTo(this.ring.start, { reset: true });
    if (this.ring.end - this.fed > FLOOD_BACKLOG_BYTES) {
      if (limit !== Infinity) {
        this.floodTimer ??= setTimeout(() => {
          this.floodTimer = undefined;
          this.skipToTail();
          this.pump();
        }, FLOOD_SETTLE_MS);
        return;
      }
      this.skipToTail();
    }
    for (;;) {
      this.applyResizesUpTo(this.fed);
      const next = this.resizes[0];
      const until = Math.min(this.ring.end, next?.at ?? Infinity);
      if (this.fed >= until || this.inFlight >= limit) return;
      const view = this.ring.read(this.fed, Math.min(CHUNK_BYTES, until - this.fed));
      const data = new Uint8Array(view);
      this.fed += data.length;
      this.inFlight += data.length;
      this.host.post({ op: 'write', id: this.id, data }, [data.buffer]);
    }
  }

  /** The current screen: everything the ring holds is fed first, whatever is in flight. */
  async snapshot(scrollback = SNAPSHOT_SCROLLBACK_LINES): Promise<Snapshot> {
    this.pump(Infinity);
    const offset = this.fed;
    const data = await this.host.requestSnapshot(this.id, scrollback);
    if (data === undefined) return { offset: this.ring.end, data: Buffer.from(SNAPSHOT_FAILED_NOTICE) };
    return { offset, data: Buffer.from(data, 'utf8') };
  }

  onWritten(bytes: number): void {
    this.inFlight -= bytes;
    this.pump();
  }

  close(): void {
    clearTimeout(this.floodTimer);
    clearTimeout(this.feedTimer);
    this.host.closeScreen(this.id);
  }

  /** Skips a flood's middle: continues at the first line that starts within the last FLOOD_TAIL_BYTES. */
  private skipToTail(): void {
    let at = Math.max(this.fed, this.ring.end - FLOOD_TAIL_BYTES);
    const newline = this.ring.read(at, NEWLINE_SEARCH_BYTES).indexOf(0x0a);
    if (newline >= 0) at += newline + 1;
    this.skipTo(at, { reset: false });
  }

  /**
   * Moves the cursor forward to `offset`, applying the last resize passed over. With
   * `reset` (the ring overtook the emulator) the emulator starts over from a clean state.
   */
  private skipTo(offset: number, options: { reset: boolean }): void {
    this.applyResizesUpTo(offset);
    if (options.reset) this.host.post({ op: 'reset', id: this.id });
    this.fed = offset;
  }

  /** Sends the worker the last of the resizes queued at or before `offset`, if it changes the size. */
  private applyResizesUpTo(offset: number): void {
    let passed = 0;
    while (passed < this.resizes.length && this.resizes[passed]!.at <= offset) passed++;
    if (passed === 0) return;
    const { size } = this.resizes[passed - 1]!;
    this.resizes.splice(0, passed);
    if (sameSize(size, this.applied)) return;
    this.applied = size;
    this.host.post({ op: 'resize', id: this.id, cols: size.cols, rows: size.rows });
  }
}

interface Size {
  cols: number;
  rows: number;
}

function sameSize(a: Size, b: Size): boolean {
  return a.cols === b.cols && a.rows === b.rows;
}
