import { Worker } from 'node:worker_threads';
import type { Logger } from '../relay/log.js';
import { MAX_DATA_BYTES } from '../relay/messages.js';
import type { RingBuffer } from './ring-buffer.js';
import type { ScreenFault, ScreenReply, ScreenRequest, ScreenWorkerData } from './screen-protocol.js';
import { Screen } from './screen.js';

/**
 * A snapshot not answered within this is given up: the attach goes on without a picture.
 * Taking one costs tens of milliseconds (a 200x50 screen with 2000 lines of scrollback
 * ~26 ms, after parsing at most the 256 KiB in flight); this is a worker that is stuck
 * (replaced, if it answered nothing else meanwhile) or far behind on a loaded machine,
 * and well inside the client's 30 s bound on an attach.
 */
export const SNAPSHOT_TIMEOUT_MS = 5_000;
/**
 * The worker's old generation. The emulators' line objects live there (their cells are
 * typed arrays outside it): ~0.45 KB a line measured at 80 columns, ~0.9 MB for a screen
 * with a full 2000-line scrollback, so 500 such sessions need ~450 MB. A runaway worker
 * dies at this bound and is replaced instead of growing the daemon without end.
 */
const WORKER_OLD_GENERATION_MB = 1024;
/** A worker that dies again within this of its last start is restarted after a growing pause. */
const CRASH_LOOP_WINDOW_MS = 60_000;
const FIRST_RESTART_PAUSE_MS = 1_000;
const MAX_RESTART_PAUSE_MS = 30_000;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit, so this many characters always fit one frame. */
const SNAPSHOT_MAX_CHARS = Math.floor(MAX_DATA_BYTES / 3);
/**
 * Test-only: makes the first worker fail its first snapshot ('throw': crash, 'hang':
 * never answer). Read once, when the daemon starts; see test/integration/screen-crash.test.ts.
 */
const TEST_FAULT_ENV = 'GRITTY_TEST_SCREEN_CRASH';

interface PendingSnapshot {
  resolve: (data: string | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * Owns the one worker thread that hosts every session's headless terminal, and keeps
 * one running: a worker that crashes or stops answering is replaced, and every screen
 * is rebuilt in the new one from its session's ring.
 */
export class ScreenHost {
  private worker: Worker | undefined;
  private readonly screens = new Map<string, Screen>();
  private readonly pending = new Map<number, PendingSnapshot>();
  private nextReq = 1;
  private closing = false;
  private startedAt = 0;
  private restartPauseMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private testFault: ScreenFault | undefined;
  private lastReplyAt = 0;

  constructor(private readonly log?: Logger) {
    const fault = process.env[TEST_FAULT_ENV];
    this.testFault = fault === 'throw' || fault === 'hang' ? fault : undefined;
    this.start();
  }

  open(id: string, ring: RingBuffer, cols: number, rows: number): Screen {
    const screen = new Screen(this, id, ring, { cols, rows });
    this.screens.set(id, screen);
    return screen;
  }

  closeScreen(id: string): void {
    this.screens.delete(id);
    this.post({ op: 'close', id });
  }

  /** Dropped while no worker runs: the screens are rebuilt when the next one starts. */
  post(req: ScreenRequest, transfer?: ArrayBuffer[]): void {
    this.worker?.postMessage(req, transfer);
  }

  /** The serialized screen, or undefined when the worker crashed or did not answer in time. */
  requestSnapshot(id: string, scrollback: number): Promise<string | undefined> {
    if (this.worker === undefined) return Promise.resolve(undefined);
    const req = this.nextReq++;
    const askedAt = Date.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(req);
        resolve(undefined);
        // a worker still answering writes is slow, not stuck: rebuilding every screen would only add work
        const stuck = this.lastReplyAt < askedAt;
        this.log?.warn(`screen worker did not answer a snapshot within ${SNAPSHOT_TIMEOUT_MS} ms${stuck ? ' nor anything else; restarting it' : ''}`);
        if (stuck) this.restart();
      }, SNAPSHOT_TIMEOUT_MS);
      timer.unref();
      this.pending.set(req, { resolve, timer });
      this.post({ op: 'snapshot', id, req, scrollback, maxChars: SNAPSHOT_MAX_CHARS });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    this.failPending();
    await this.worker?.terminate();
  }

  private start(): void {
    const fault = this.testFault;
    this.testFault = undefined;
    const worker = new Worker(new URL('./screen-worker.js', import.meta.url), {
      workerData: { fault } satisfies ScreenWorkerData,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
    });
    worker.unref();
    worker.on('message', (msg: ScreenReply) => {
      if (this.worker === worker) this.onReply(msg);
    });
    worker.on('error', (err) => this.log?.error('screen worker crashed', err));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (this.closing) return;
      this.log?.warn(`screen worker exited (${code}); restarting it`);
      this.restart();
    });
    this.worker = worker;
    this.startedAt = Date.now();
    for (const screen of this.screens.values()) screen.rebuild();
  }

  /** Replaces the worker: at once, or after a pause that grows while it keeps dying. */
  private restart(): void {
    if (this.closing || this.restartTimer !== undefined) return;
    const old = this.worker;
    this.worker = undefined;
    if (old !== undefined) void old.terminate();
    this.failPending();
    this.restartPauseMs = Date.now() - this.startedAt < CRASH_LOOP_WINDOW_MS ? Math.min(Math.max(this.restartPauseMs * 2, FIRST_RESTART_PAUSE_MS), MAX_RESTART_PAUSE_MS) : 0;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closing) this.start();
    }, this.restartPauseMs);
    this.restartTimer.unref();
  }

  private onReply(msg: ScreenReply): void {
    this.lastReplyAt = Date.now();
    if (msg.op === 'written') {
      this.screens.get(msg.id)?.onWritten(msg.bytes);
      return;
    }
    const pending = this.pending.get(msg.req);
    if (pending === undefined) return;
    this.pending.delete(msg.req);
    clearTimeout(pending.timer);
    pending.resolve(msg.data);
  }

  private failPending(): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.resolve(undefined);
    }
    this.pending.clear();
  }
}
