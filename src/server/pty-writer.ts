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

  constructor(private readonly fd: number) {}

  write(data: Buffer): void {
    if (this.closed || data.length === 0) return;
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

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    clearTimeout(this.timer);
  }

  /** Writes what the kernel takes; returns the rest, or undefined when all went. */
  private writeSome(data: Buffer): Buffer | undefined {
    let offset = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(this.fd, data, offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return data.subarray(offset);
        this.close();
        return undefined;
      }
    }
    return undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      while (this.queue.length > 0 && !this.closed) {
        const rest = this.writeSome(this.queue[0]!);
        if (rest !== undefined) {
          this.queue[0] = rest;
          this.schedule();
          return;
        }
        this.queue.shift();
      }
    }, RETRY_MS);
  }
}
