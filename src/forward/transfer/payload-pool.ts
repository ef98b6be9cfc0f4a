import { MAX_CHUNK_BYTES } from './format.js';

/**
 * Buffers kept for reuse: what the records queued ahead of the receiver (32), a write
 * batch (16) and one in flight hold together, so a steady transfer allocates none.
 */
const MAX_FREE_BUFFERS = 64;

/**
 * Buffers of MAX_CHUNK_BYTES for data records copied out of a reused read buffer
 * (RecordDecoder with lent reads). Memory taken from here has been written before, so
 * the copy into it costs no page faults, unlike a fresh allocation. A buffer must come
 * back only once nothing reads it any more (hashed and written out); one that never
 * comes back (a transfer that failed) is left to the garbage collector.
 */
export class PayloadPool {
  private readonly free: Buffer[] = [];

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(MAX_CHUNK_BYTES);
  }

  /** Given back twice, a buffer is still kept once: two records must never share one. */
  give(buffer: Buffer): void {
    if (this.free.length < MAX_FREE_BUFFERS && !this.free.includes(buffer)) this.free.push(buffer);
  }
}
