import { writeSync } from 'node:fs';

/** How soon a write the kernel refused (EAGAIN: the program is not reading) is retried. */
const RETRY_MS = 2;

/**
 * Keystrokes into a PTY master fd. node-pty queues every write onto libuv's thread pool,
 * a thread hop per keystroke; here a write goes straight to the non-blocking fd and
 * only what the kernel does not take waits in a queue, in order, for a retry.
 */
export class PtyWriter {
  private readonly queue: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private _written = 0;
  private onProgress: (() => void) | undefined;

  constructor(private readonly fd: number) {}

  /** Bytes the PTY has taken (or that were dropped because it is gone). */
  get written(): number {
    return this._written;
  }

  /** Called when queued bytes were taken later, on a retry. */
  onWritten(listener: () => void): void {
    this.onProgress = listener;
  }

  write(data: Buffer): void {
    if (data.length === 0) return;
    if (this.closed) {
      this._written += data.length;
      return;
    }
    if (this.queue.length > 0) {
      this.queue.push(Buffer.from(data));
      return;
    }
    const rest = this.writeSome(data);
    if (rest !== undefined) {
      this.queue.push(Buffer.from(rest));
      this.schedule();
    }
  }

  /** The PTY is gone: what waited is dropped, and counted as taken so no sender waits for it. */
  close(): void {
    this.closed = true;
    for (const data of this.queue.splice(0)) this._written += data.length;
    clearTimeout(this.timer);
    this.onProgress?.();
  }

  /** Writes what the kernel takes; returns the rest, or undefined when all went. */
  private writeSome(data: Buffer): Buffer | undefined {
    let offset = 0;
    while (offset < data.length) {
      try {
        const n = writeSync(this.fd, data, offset);
        offset += n;
        this._written += n;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return data.subarray(offset);
        this._written += data.length - offset;
        this.close();
        return undefined;
      }
    }
    return undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      const before = this._written;
      while (this.queue.length > 0 && !this.closed) {
        const rest = this.writeSome(this.queue[0]!);
        if (rest !== undefined) {
          this.queue[0] = rest;
          this.schedule();
          break;
        }
        this.queue.shift();
      }
      if (this._written !== before) this.onProgress?.();
    }, RETRY_MS);
  }
}
