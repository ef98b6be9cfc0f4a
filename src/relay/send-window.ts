import { GrittyError } from './errors.js';

/**
 * The sending half of one reliable byte stream: every byte the peer has not yet
 * acknowledged, with absolute offsets. It is the resend buffer after a reconnect and
 * the flow-control window at once: a producer stops while `space` is not positive.
 *
 *   acked ≤ sent ≤ end;  [acked, end) is held;  [sent, end) is not on the wire yet
 */
export class SendWindow {
  private chunks: Buffer[] = [];
  private _acked: number;
  private _sent: number;
  private _end: number;
  /** Where pushed bytes are copied when `ringBytes` is set: byte at offset o lives at o mod its length. */
  private ring: Buffer | undefined;

  constructor(
    start: number,
    /** Bytes held at most before the producer is told to stop. */
    readonly capacity: number,
    /**
     * With a size, pushed bytes are copied into one buffer of that size, reused as
     * acknowledgements free it, instead of a fresh allocation per push (a bulk sender's
     * main cost after the socket calls). A push that would overwrite held bytes falls
     * back to its own copy.
     */
    private readonly ringBytes?: number,
  ) {
    this._acked = start;
    this._sent = start;
    this._end = start;
  }

  get acked(): number {
    return this._acked;
  }

  get sent(): number {
    return this._sent;
  }

  get end(): number {
    return this._end;
  }

  /** Bytes held: sent and unacknowledged, or not sent yet. */
  get held(): number {
    return this._end - this._acked;
  }

  get inFlight(): number {
    return this._sent - this._acked;
  }

  get space(): number {
    return this.capacity - this.held;
  }

  get hasUnsent(): boolean {
    return this._sent < this._end;
  }

  /** Keeps `data` (copied: callers reuse their buffers) for sending. */
  push(data: Buffer): void {
    if (data.length === 0) return;
    if (!this.pushIntoRing(data)) this.chunks.push(Buffer.from(data));
    this._end += data.length;
  }

  /**
   * Bytes at offset o overwrite those at o - ringBytes, which are acknowledged (so no
   * longer held, nor in any write still under way) as long as held + pushed fits.
   */
  private pushIntoRing(data: Buffer): boolean {
    const size = this.ringBytes;
    if (size === undefined || this.held + data.length > size) return false;
    this.ring ??= Buffer.allocUnsafe(size);
    const at = this._end % size;
    const first = Math.min(data.length, size - at);
    data.copy(this.ring, at, 0, first);
    this.chunks.push(this.ring.subarray(at, at + first));
    if (first < data.length) {
      data.copy(this.ring, 0, first);
      this.chunks.push(this.ring.subarray(0, data.length - first));
    }
    return true;
  }

  /** The peer consumed everything before `offset`; acknowledging more than was sent is a protocol error. */
  ack(offset: number): void {
    if (offset <= this._acked) return;
    if (offset > this._sent) {
      throw new GrittyError('bad-message', `acknowledgement of offset ${offset}, but only ${this._sent} was sent`);
    }
    let drop = offset - this._acked;
    while (drop > 0) {
      const first = this.chunks[0]!;
      if (first.length <= drop) {
        this.chunks.shift();
        drop -= first.length;
      } else {
        this.chunks[0] = first.subarray(drop);
        drop = 0;
      }
    }
    this._acked = offset;
  }

  /**
   * After a reconnect: the peer holds everything before `offset`, so sending resumes
   * there. An offset outside what is held means the peer's state is not ours.
   */
  rewind(offset: number): void {
    if (offset < this._acked || offset > this._end) {
      throw new GrittyError('bad-message', `resume at offset ${offset}, but this side holds ${this._acked}..${this._end}`);
    }
    this._sent = offset;
  }

  /** The next unsent bytes, at most `max`, and marks them sent. */
  takeUnsent(max: number): { offset: number; data: Buffer } | undefined {
    if (this._sent >= this._end) return undefined;
    let skip = this._sent - this._acked;
    const parts: Buffer[] = [];
    let size = 0;
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      const part = chunk.subarray(skip, skip + (max - size));
      skip = 0;
      parts.push(part);
      size += part.length;
      if (size >= max) break;
    }
    const offset = this._sent;
    this._sent += size;
    return { offset, data: parts.length === 1 ? parts[0]! : joined(parts, size) };
  }
}

/** One buffer of `parts`: a view when they lie back to back in one buffer (pushes into the ring), else a copy. */
function joined(parts: Buffer[], size: number): Buffer {
  const first = parts[0]!;
  let next = first.byteOffset;
  for (const part of parts) {
    if (part.buffer !== first.buffer || part.byteOffset !== next) return Buffer.concat(parts, size);
    next += part.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, size);
}

/**
 * The receiving half: where the stream continues. A frame that overlaps what was
 * received (a resend) is trimmed; one that starts past it would leave a hole, which
 * the protocol never does.
 */
export class ReceiveCursor {
  constructor(public received: number) {}

  /** The part of `data` (at `offset`) not seen before, or undefined when it is all old. */
  accept(offset: number, data: Buffer): Buffer | undefined {
    if (offset > this.received) {
      throw new GrittyError('bad-message', `data at offset ${offset} leaves a gap after ${this.received}`);
    }
    const end = offset + data.length;
    if (end <= this.received) return undefined;
    const fresh = data.subarray(this.received - offset);
    this.received = end;
    return fresh;
  }
}
