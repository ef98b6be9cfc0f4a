/**
 * Fixed-capacity byte history addressed by absolute, monotonic offsets. Bytes
 * [start, end) are held; appending past capacity drops the oldest. Knows nothing
 * of sessions: every reader keeps its own cursor.
 */
export class RingBuffer {
  private buf: Buffer;
  private written = 0;
  /** Offsets from which bytes are lent out (to a socket write) and must not change, by pin id. */
  private readonly pins = new Map<number, number>();
  private nextPin = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`ring capacity must be positive, got ${capacity}`);
    this.buf = Buffer.alloc(capacity);
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
    if (this.pins.size > 0) this.keepLentBytes(this.written + data.length - this.capacity);
    let src = data;
    if (src.length > this.capacity) src = src.subarray(src.length - this.capacity);
    const at = (this.written + (data.length - src.length)) % this.capacity;
    const first = Math.min(src.length, this.capacity - at);
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
    const at = from % this.capacity;
    if (at + length <= this.capacity) return this.buf.subarray(at, at + length);
    const out = Buffer.allocUnsafe(length);
    const first = this.capacity - at;
    this.buf.copy(out, 0, at, this.capacity);
    this.buf.copy(out, first, 0, length - first);
    return out;
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
