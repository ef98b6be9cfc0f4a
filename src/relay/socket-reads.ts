import type { OnReadOpts } from 'node:net';

/** libuv's own read size. */
const SHARED_READ_BYTES = 64 * 1024;

/**
 * One for every socket of the process read this way: each read is taken (copied, or
 * consumed) before its callback returns, and the event loop runs one callback at a
 * time. A buffer per socket cost the daemon ~15 KiB of RSS per connection it had ever
 * accepted; fresh memory per read (Node's default) costs more in page faults than the
 * read itself (docs/PERFORMANCE-NOTES.md).
 */
let shared: Buffer | undefined;

/** The process's one read buffer (the daemon's PTY reads land in it too). */
export function sharedReadBuffer(): Buffer {
  return (shared ??= Buffer.allocUnsafe(SHARED_READ_BYTES));
}

/**
 * Reads of a socket into the process's one reused buffer, handed to one consumer with
 * no Readable stream in between (its push, emit and nextTick per read were a tenth of
 * the attached client's CPU per keystroke). Pass `onread` where the socket is made
 * (net.createConnection, or own-reads.ts for a socket a server accepted), then `bind()`
 * the consumer, which gets a view valid only until it returns. Reads that come before
 * are kept as copies and stop the socket's reads until it is resumed. Such a socket
 * emits no 'data', so only the bound consumer reads it.
 */
export class SocketReads {
  private take: ((data: Buffer) => void) | undefined;
  private readonly early: Buffer[] = [];
  readonly onread: OnReadOpts;

  constructor() {
    const buffer = sharedReadBuffer();
    this.onread = {
      buffer,
      callback: (n) => {
        const data = buffer.subarray(0, n);
        if (this.take !== undefined) {
          this.take(data);
          return true;
        }
        this.early.push(Buffer.from(data));
        return false;
      },
    };
  }

  /** From now on each read goes to `take`, to be consumed before it returns; what came before goes first. */
  bind(take: (data: Buffer) => void): void {
    this.take = take;
    for (const data of this.early.splice(0)) take(data);
  }
}
