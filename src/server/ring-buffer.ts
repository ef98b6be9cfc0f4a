/**
 * Bytes a ring's memory starts at. An idle shell's ring holds a prompt: a 1 MiB buffer
 * is an mmap of its own whose first page (4 KiB) a prompt makes resident, where a
 * small one shares malloc's pages (docs/MEMORY.md).
 */
export const RING_FIRST_BYTES = 1024;

/**
 * Fixed-capacity byte history addressed by absolute, monotonic offsets. Bytes
 * [start, end) are held; appending past capacity drops the oldest. Knows nothing
 * of sessions: every reader keeps its own cursor.
 *
 * Its memory grows with what it holds, doubling from RING_FIRST_BYTES up to the
 * capacity; it wraps only at the capacity, so until then byte o lives at index o.
 */
export class RingBuffer {
  private buf: Buffer;
  private written = 0;
  /** Offsets from which bytes are lent out (to a socket write) and must not change, by pin id. */
  private readonly pins = new Map<number, number>();
  private nextPin = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`ring capacity must be positive, got ${capacity}`);
    this.buf = Buffer.alloc(Math.min(capacity, RING_FIRST_BYTES));
  }

  /** Offset one past the newest byte: the total ever written. */
  get end(): number {
    return this.written;
  }

  /** Offset of the oldest byte still held. */
  get start(): number {
    return Math.max(0, this.written - this.capacity);
  }

  append(data: Buffer): void {
    if (this.buf.length < this.capacity && this.written + data.length > this.buf.length) this.grow(this.written + data.length);
    if (this.pins.size > 0) this.keepLentBytes(this.written + data.length - this.capacity);
    let src = data;
    if (src.length > this.capacity) src = src.subarray(src.length - this.capacity);
    const size = this.buf.length;
    const at = (this.written + (data.length - src.length)) % size;
    const first = Math.min(src.length, size - at);
    src.copy(this.buf, at, 0, first);
    if (first < src.length) src.copy(this.buf, 0, first);
    this.written += data.length;
  }

  /**
   * Marks the bytes from `from` on as lent out (a view of them waits in a socket) until
   * unpin(): an append that would overwrite them moves the ring to a fresh buffer
   * first, leaving the old one to the borrower. Rare: the read gate keeps the attached
   * client within a quarter of the ring, so only a stalled client or a slow tail lends
   * bytes that long.
   */
  pin(from: number): number {
    const id = this.nextPin++;
    this.pins.set(id, from);
    return id;
  }

  unpin(id: number): void {
    this.pins.delete(id);
  }

  /**
   * Up to `maxBytes` bytes from `from`, which must lie in [start, end]. A read that
   * does not wrap is a view into the ring, valid until the next append (or, pinned,
   * until unpinned): send, pin or copy it before yielding to the event loop.
   */
  read(from: number, maxBytes: number): Buffer {
    if (from < this.start || from > this.end) {
      throw new RangeError(`offset ${from} is outside the ring [${this.start}, ${this.end})`);
    }
    const length = Math.min(maxBytes, this.end - from);
    const size = this.buf.length;
    const at = from % size;
    if (at + length <= size) return this.buf.subarray(at, at + length);
    const out = Buffer.allocUnsafe(length);
    const first = size - at;
    this.buf.copy(out, 0, at, size);
    this.buf.copy(out, first, 0, length - first);
    return out;
  }

  /**
   * Moves the bytes to a buffer that holds `needed` bytes (or the capacity). The old
   * buffer is left as it is, so a view of it (lent or not) keeps its bytes: no pin
   * refers to the new one.
   */
  private grow(needed: number): void {
    let size = this.buf.length;
    while (size < needed && size < this.capacity) size *= 2;
    const grown = Buffer.alloc(Math.min(size, this.capacity));
    this.buf.copy(grown, 0, 0, this.written);
    this.buf = grown;
    this.pins.clear();
  }

  /** Before bytes below `overwrittenFrom` are overwritten: if any of them are lent out, the ring copies itself and lets the old buffer go. */
  private keepLentBytes(overwrittenFrom: number): void {
    for (const from of this.pins.values()) {
      if (from < overwrittenFrom) {
        this.buf = Buffer.from(this.buf);
        this.pins.clear();
        return;
      }
    }
  }
}
