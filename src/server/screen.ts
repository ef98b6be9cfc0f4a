import type { Logger } from '../relay/log.js';
import { MAX_DATA_BYTES } from '../relay/messages.js';
import type { RingBuffer } from './ring-buffer.js';
import { createEmulator, writeTo, type LiveEmulator } from './screen-emulator.js';
import { picture } from './screen-picture.js';

/** Scrollback lines each emulator keeps, and the most a fresh attach repaints (tmux's default history is 2000). */
export const SNAPSHOT_SCROLLBACK_LINES = 2000;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit, so this many characters always fit one frame. */
const SNAPSHOT_MAX_CHARS = Math.floor(MAX_DATA_BYTES / 3);
/**
 * One write to the emulator, of output or of the picture it is rebuilt from: ~0.3 ms of
 * parsing at ~50 MiB/s, the longest a keystroke of another session waits behind it.
 */
const SLICE_BYTES = 16 * 1024;
/**
 * Output whose last quarter ring came faster than this, when the unparsed part reaches
 * half the ring, is a flood: its middle is skipped instead of parsed. Below it, parsing
 * everything costs at most a few percent of a core.
 */
const FLOOD_BYTES_PER_S = 1 << 20;
/** What the emulator parses of a flood's end: far more than a screenful. */
const FLOOD_TAIL_BYTES = 128 * 1024;
/** How far past the skip point a line start is looked for. */
const NEWLINE_SEARCH_BYTES = 4096;
/**
 * Resizes waiting for the emulator to reach their offset. Each follows output (a program
 * that redraws on SIGWINCH), so this many is far more than a screenful of them; beyond it
 * the newest replaces the last queued one, a little early.
 */
const MAX_QUEUED_RESIZES = 64;
/**
 * An emulator that read the ring because it filled stays live while output goes on, and
 * is folded once none came for this long: a fold serializes the whole scrollback, one
 * synchronous call of up to tens of milliseconds, so it is done once per burst, not per
 * half ring.
 */
const FOLD_AFTER_MS = 10_000;
/** What a snapshot that could not be taken shows instead: one dim line. */
export const SNAPSHOT_FAILED_NOTICE = '\x1b[2m[gritty] the screen could not be restored; press Ctrl-L to redraw\x1b[0m\r\n';
/**
 * Test-only: the first snapshot taken in this daemon fails as if the emulator had thrown.
 * Read once, when the daemon loads; see test/integration/screen-crash.test.ts.
 */
let testFault = process.env.GRITTY_TEST_SCREEN_CRASH === 'throw';

export interface Snapshot {
  /** Ring offset the picture corresponds to: the stream continues from here. */
  offset: number;
  data: Buffer;
}

interface Size {
  cols: number;
  rows: number;
}

/**
 * Where the emulator stands. Between uses it is folded: a picture (screen-picture.ts)
 * that rebuilds it, drawn at `size`, standing for the output up to `at`. While it parses
 * it is live, a real headless terminal that has read the ring up to `fed`.
 */
type EmulatorPlace = { kind: 'folded'; picture: string; at: number; size: Size } | { kind: 'live'; emu: LiveEmulator; fed: number; applied: Size };

/**
 * One session's screen, kept for the picture a fresh attach is shown. Output is not
 * parsed as it flows: the emulator reads the ring only when a picture is asked for, or
 * when the unparsed output fills half the ring and would otherwise be lost. Then it is
 * rebuilt from its picture and fed; it is folded into a picture again right after a
 * snapshot (whose picture it is), or once output stops for FOLD_AFTER_MS. An idle session
 * costs its picture (bytes for a shell prompt) rather than a live terminal (~150-350 KiB),
 * and a daemon nobody attaches to fresh never loads the emulator at all. All of it runs
 * on the daemon's own thread, in slices of SLICE_BYTES.
 */
export class Screen {
  private place: EmulatorPlace;
  private resizes: { at: number; size: Size }[] = [];
  /** The emulator's size once every queued resize is applied. */
  private size: Size;
  /** Catch-ups and snapshots, one at a time, in order. */
  private turn: Promise<unknown> = Promise.resolve();
  private jobs = 0;
  /**
   * The output's pace: the ring's end and the time when the output last passed a
   * quarter ring beyond the mark before, and how fast that quarter came. Measured on the
   * output alone, whatever the emulator did meanwhile: a catch-up that ran while a flood
   * went on must not make the flood look new, and so slow, when it ends.
   */
  private pace: { end: number; time: number; bytesPerS: number };
  private closed = false;
  private foldTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ring: RingBuffer,
    size: Size,
    private readonly log?: Logger,
  ) {
    this.size = size;
    this.place = { kind: 'folded', picture: '', at: ring.end, size };
    this.pace = { end: ring.end, time: Date.now(), bytesPerS: 0 };
  }

  /**
   * Queues a resize at the current end of output. Only a real change is queued, and a
   * burst between two outputs is one resize: the emulator only ever sees the last (100 000
   * resize frames once made it resize 100 000 times, queueing 30 s of work and ~100 MB).
   */
  resize(cols: number, rows: number): void {
    if (sameSize(this.size, { cols, rows })) return;
    this.size = { cols, rows };
    const last = this.resizes.at(-1);
    if (last !== undefined && (last.at === this.ring.end || this.resizes.length >= MAX_QUEUED_RESIZES)) last.size = this.size;
    else this.resizes.push({ at: this.ring.end, size: this.size });
  }

  /**
   * New output is in the ring. Nothing happens until the unparsed part fills half of
   * it; then the emulator reads it, or skips its middle if it is a flood.
   */
  noteOutput(): void {
    this.notePace();
    const unparsed = this.ring.end - this.parsed();
    if (this.closed || this.jobs > 0 || unparsed <= this.ring.capacity / 2) return;
    if (this.isFlood()) {
      this.skipToTail();
      return;
    }
    void this.exclusive(async () => {
      try {
        await this.catchUp(this.ring.end);
        this.foldWhenQuiet(this.ring.end);
      } catch (err) {
        this.startOver(err);
      }
    });
  }

  /** Folds the live emulator once output has stopped for FOLD_AFTER_MS (checked, not re-armed per output). */
  private foldWhenQuiet(end: number): void {
    clearTimeout(this.foldTimer);
    this.foldTimer = setTimeout(() => {
      this.foldTimer = undefined;
      if (this.ring.end !== end) {
        this.foldWhenQuiet(this.ring.end);
        return;
      }
      void this.exclusive(async () => {
        // a snapshot may have folded it meanwhile
        if (this.place.kind !== 'live') return;
        try {
          const live = await this.catchUp(this.ring.end);
          this.fold(picture(live.emu, SNAPSHOT_SCROLLBACK_LINES, Infinity));
        } catch (err) {
          this.startOver(err);
        }
      });
    }, FOLD_AFTER_MS);
    this.foldTimer.unref();
  }

  /** The current screen with up to `scrollback` lines of history: everything the ring holds is parsed first. */
  snapshot(scrollback = SNAPSHOT_SCROLLBACK_LINES): Promise<Snapshot> {
    return this.exclusive(async () => {
      try {
        if (testFault) {
          testFault = false;
          throw new Error('screen: test fault (GRITTY_TEST_SCREEN_CRASH=throw)');
        }
        const { place } = this;
        const whole = scrollback === SNAPSHOT_SCROLLBACK_LINES;
        if (place.kind === 'folded' && place.at === this.ring.end && this.resizes.length === 0 && whole && place.picture.length <= SNAPSHOT_MAX_CHARS) {
          return { offset: place.at, data: Buffer.from(place.picture, 'utf8') };
        }
        if (this.ring.end - this.parsed() > this.ring.capacity / 2 && this.isFlood()) this.skipToTail();
        const live = await this.catchUp(this.ring.end);
        const full = picture(live.emu, SNAPSHOT_SCROLLBACK_LINES, Infinity);
        // the whole picture is what the screen folds into; a smaller request, or one too big for a frame, is drawn apart
        const data = whole && full.length <= SNAPSHOT_MAX_CHARS ? full : picture(live.emu, scrollback, SNAPSHOT_MAX_CHARS);
        this.fold(full);
        return { offset: live.fed, data: Buffer.from(data, 'utf8') };
      } catch (err) {
        this.startOver(err);
        return { offset: this.ring.end, data: Buffer.from(SNAPSHOT_FAILED_NOTICE) };
      }
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.foldTimer);
    // a catch-up in progress still writes to its emulator: it is let go when the catch-up ends
    if (this.jobs === 0) this.dispose();
  }

  private dispose(): void {
    if (this.place.kind === 'live') this.place.emu.term.dispose();
    this.place = { kind: 'folded', picture: '', at: this.ring.end, size: this.size };
  }

  /** Where parsing stands: the ring offset the emulator has read up to. */
  private parsed(): number {
    return this.place.kind === 'live' ? this.place.fed : this.place.at;
  }

  private notePace(): void {
    const grown = this.ring.end - this.pace.end;
    if (grown < this.ring.capacity / 4) return;
    const now = Date.now();
    this.pace = { end: this.ring.end, time: now, bytesPerS: (grown * 1000) / Math.max(now - this.pace.time, 1) };
  }

  /** Whether the output's last quarter ring came faster than FLOOD_BYTES_PER_S. */
  private isFlood(): boolean {
    return this.pace.bytesPerS > FLOOD_BYTES_PER_S;
  }

  /** Runs `job` after the ones before it; a screen closed meanwhile lets go of its emulator once the last is done. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    this.jobs++;
    const run = this.turn.then(job).finally(() => {
      if (--this.jobs === 0 && this.closed) this.dispose();
    });
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** The emulator, live and having read the ring up to `target` (or from the oldest byte held, if the ring overtook it). */
  private async catchUp(target: number): Promise<{ emu: LiveEmulator; fed: number }> {
    const live = this.place.kind === 'live' ? this.place : await this.rebuild(this.place);
    while (live.fed < target && !this.closed) {
      if (live.fed < this.ring.start) {
        live.emu.term.reset();
        live.emu.state.reset();
        live.fed = this.ring.start;
      }
      this.applyResizesUpTo(live, live.fed);
      const until = Math.min(target, this.resizes[0]?.at ?? Infinity);
      // a copy: xterm.js parses it on a later turn, after the ring may have moved on
      const data = new Uint8Array(this.ring.read(live.fed, Math.min(SLICE_BYTES, until - live.fed)));
      live.fed += data.length;
      await writeTo(live.emu, data);
    }
    this.applyResizesUpTo(live, live.fed);
    return live;
  }

  /** A live emulator in the state the picture holds. */
  private async rebuild(folded: Extract<EmulatorPlace, { kind: 'folded' }>): Promise<Extract<EmulatorPlace, { kind: 'live' }>> {
    const emu = createEmulator({ ...folded.size, scrollback: SNAPSHOT_SCROLLBACK_LINES });
    const live = { kind: 'live' as const, emu, fed: folded.at, applied: folded.size };
    this.place = live;
    for (let i = 0; i < folded.picture.length; i += SLICE_BYTES) await writeTo(emu, folded.picture.slice(i, i + SLICE_BYTES));
    return live;
  }

  /** Lets go of the live emulator, keeping `drawn`, its picture with the whole scrollback. */
  private fold(drawn: string): void {
    clearTimeout(this.foldTimer);
    this.foldTimer = undefined;
    const live = this.place;
    if (live.kind !== 'live') return;
    this.place = { kind: 'folded', picture: drawn, at: live.fed, size: live.applied };
    live.emu.term.dispose();
  }

  /** After a failure: the emulator starts over, empty, from the oldest output held. */
  private startOver(err: unknown): void {
    this.log?.error('the screen emulator failed; it starts over from the oldest output held', err);
    if (this.place.kind === 'live') this.place.emu.term.dispose();
    this.place = { kind: 'folded', picture: '', at: this.ring.start, size: this.size };
    this.resizes = [];
  }

  /** Skips a flood's middle: parsing continues at the first line that starts within the last FLOOD_TAIL_BYTES. */
  private skipToTail(): void {
    let at = Math.max(this.parsed(), this.ring.end - FLOOD_TAIL_BYTES);
    const newline = this.ring.read(at, NEWLINE_SEARCH_BYTES).indexOf(0x0a);
    if (newline >= 0) at += newline + 1;
    // the resizes passed over apply where parsing continues, the last one winning
    const passed = this.resizes.filter((r) => r.at <= at);
    if (passed.length > 0) this.resizes = [{ at, size: passed.at(-1)!.size }, ...this.resizes.slice(passed.length)];
    if (this.place.kind === 'live') this.place.fed = at;
    else this.place = { ...this.place, at };
  }

  /** Resizes the emulator to the last of the resizes queued at or before `offset`, if that changes its size. */
  private applyResizesUpTo(live: { emu: LiveEmulator; applied: Size }, offset: number): void {
    let passed = 0;
    while (passed < this.resizes.length && this.resizes[passed]!.at <= offset) passed++;
    if (passed === 0) return;
    const { size } = this.resizes[passed - 1]!;
    this.resizes.splice(0, passed);
    if (sameSize(size, live.applied)) return;
    live.applied = size;
    live.emu.term.resize(size.cols, size.rows);
  }
}

function sameSize(a: Size, b: Size): boolean {
  return a.cols === b.cols && a.rows === b.rows;
}
