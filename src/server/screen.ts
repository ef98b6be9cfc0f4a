import { Worker } from 'node:worker_threads';
import { MAX_DATA_BYTES } from '../relay/messages.js';
import type { RingBuffer } from './ring-buffer.js';
import type { ScreenReply, ScreenRequest } from './screen-protocol.js';

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
/** UTF-8 takes at most 3 bytes per UTF-16 code unit, so this many characters always fit one frame. */
const SNAPSHOT_MAX_CHARS = Math.floor(MAX_DATA_BYTES / 3);

export interface Snapshot {
  /** Ring offset the picture corresponds to: the stream continues from here. */
  offset: number;
  data: Buffer;
}

/** Owns the one worker thread that hosts every session's headless terminal. */
export class ScreenHost {
  private readonly worker: Worker;
  private readonly screens = new Map<string, Screen>();
  private readonly pending = new Map<number, (data: string) => void>();
  private nextReq = 1;

  constructor() {
    this.worker = new Worker(new URL('./screen-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (msg: ScreenReply) => {
      if (msg.op === 'written') this.screens.get(msg.id)?.onWritten(msg.bytes);
      else {
        this.pending.get(msg.req)?.(msg.data);
        this.pending.delete(msg.req);
      }
    });
  }

  open(id: string, ring: RingBuffer, cols: number, rows: number): Screen {
    const screen = new Screen(this, id, ring);
    this.screens.set(id, screen);
    this.post({ op: 'open', id, cols, rows, scrollback: SNAPSHOT_SCROLLBACK_LINES });
    return screen;
  }

  closeScreen(id: string): void {
    this.screens.delete(id);
    this.post({ op: 'close', id });
  }

  post(req: ScreenRequest, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(req, transfer);
  }

  requestSnapshot(id: string, scrollback: number): Promise<string> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.pending.set(req, resolve);
      this.post({ op: 'snapshot', id, req, scrollback, maxChars: SNAPSHOT_MAX_CHARS });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
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
  private readonly resizes: { at: number; cols: number; rows: number }[] = [];
  private floodTimer: NodeJS.Timeout | undefined;
  private feedTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: ScreenHost,
    private readonly id: string,
    private readonly ring: RingBuffer,
  ) {
    this.fed = ring.end;
  }

  resize(cols: number, rows: number): void {
    this.resizes.push({ at: this.ring.end, cols, rows });
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
      const next = this.resizes[0];
      if (next !== undefined && next.at <= this.fed) {
        this.host.post({ op: 'resize', id: this.id, cols: next.cols, rows: next.rows });
        this.resizes.shift();
        continue;
      }
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
    const passed = this.resizes.filter((r) => r.at <= offset);
    this.resizes.splice(0, passed.length);
    const last = passed.pop();
    if (last !== undefined) this.host.post({ op: 'resize', id: this.id, cols: last.cols, rows: last.rows });
    if (options.reset) this.host.post({ op: 'reset', id: this.id });
    this.fed = offset;
  }
}
