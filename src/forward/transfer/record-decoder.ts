import { ChunkQueue } from '../../relay/chunk-queue.js';
import { GrittyError } from '../../relay/errors.js';
import { takeFrameLength } from '../../relay/frame.js';
import { MAX_DATA_HEAD_BYTES, dataRecordLayout, type DataPieces } from './format.js';
import type { PayloadPool } from './payload-pool.js';

/** The payload of a data record being gathered: views of the chunks, or (lent reads) a copy in a pooled buffer. */
interface Gathering {
  pieces: Buffer[];
  left: number;
  bytes: number;
  copy: Buffer | undefined;
}

/**
 * Transfer frames in, records out: relay's FrameDecoder and a parser in one, except
 * that a data record's payload (nearly every byte of a transfer) is handed on as views
 * of the chunks it arrived in. A 64 KiB record spans two 64 KiB socket reads, and
 * joining it would copy every byte once more into memory touched for the first time,
 * which costs more than the copy on a VM. Every other frame is joined and parsed whole.
 *
 * With `pushLent` the chunk is a reused read buffer that changes once the call returns:
 * a payload is then copied into a buffer of `pool` (written before, so no page faults),
 * and every other byte still needed (a frame body, a partial frame) is copied too.
 */
export class RecordDecoder<In> {
  private readonly queue = new ChunkQueue();
  /** Body length of the frame being read; -1 between frames. */
  private expected = -1;
  private payload: Gathering | undefined;

  /**
   * `parse` validates a whole frame body; `data`, when given, takes the data records
   * that dataRecordLayout() recognises, without them being joined or parsed; `pool`
   * supplies their buffers for pushLent().
   */
  constructor(
    private readonly parse: (body: Buffer) => In,
    private readonly data?: (record: DataPieces) => In,
    private readonly pool?: PayloadPool,
  ) {}

  /**
   * Hands each record completed by `chunk` to `deliver`, in order; throws GrittyError at
   * an oversized or invalid frame, after taking the records before it.
   */
  push(chunk: Buffer, deliver: (record: In) => void): void {
    this.decode(chunk, deliver, false);
  }

  /** push(), for a chunk whose memory is reused once this returns: nothing delivered or kept refers to it. */
  pushLent(chunk: Buffer, deliver: (record: In) => void): void {
    try {
      this.decode(chunk, deliver, true);
    } finally {
      if (this.queue.length > 0) this.queue.push(this.queue.takeAll());
    }
  }

  private decode(chunk: Buffer, deliver: (record: In) => void, lent: boolean): void {
    this.queue.push(chunk);
    for (;;) {
      if (this.payload !== undefined) {
        const payload = this.payload;
        if (payload.copy === undefined) payload.left -= this.queue.takeViews(payload.left, payload.pieces);
        else payload.left -= this.copyInto(payload.copy, payload.bytes - payload.left, payload.left);
        if (payload.left > 0) break;
        this.payload = undefined;
        this.expected = -1;
        deliver(this.data!(this.gathered(payload)));
        continue;
      }
      if (this.expected < 0) {
        const length = takeFrameLength(this.queue);
        if (length === undefined) break;
        this.expected = length;
      }
      if (this.data !== undefined) {
        const head = Math.min(this.expected, MAX_DATA_HEAD_BYTES);
        if (this.queue.length < head) break;
        const layout = dataRecordLayout(this.queue.peek(head), this.expected);
        if (layout !== undefined) {
          this.queue.take(layout.headBytes);
          const copy = lent ? this.requirePool().take() : undefined;
          this.payload = { pieces: [], left: layout.payloadBytes, bytes: layout.payloadBytes, copy };
          continue;
        }
      }
      if (this.queue.length < this.expected) break;
      const body = this.queue.take(this.expected);
      this.expected = -1;
      // a parsed record may hold views of its body (msgpack bin fields)
      deliver(this.parse(lent ? Buffer.from(body) : body));
    }
  }

  /** Copies up to `n` of the queued bytes into `into` at `at`; returns how many. */
  private copyInto(into: Buffer, at: number, n: number): number {
    const views: Buffer[] = [];
    const moved = this.queue.takeViews(n, views);
    let offset = at;
    for (const view of views) offset += view.copy(into, offset);
    return moved;
  }

  private gathered(payload: Gathering): DataPieces {
    const { copy, bytes } = payload;
    if (copy === undefined) return { type: 'data', pieces: payload.pieces, bytes };
    const pool = this.requirePool();
    return { type: 'data', pieces: [copy.subarray(0, bytes)], bytes, release: () => pool.give(copy) };
  }

  private requirePool(): PayloadPool {
    if (this.pool === undefined) throw new GrittyError('internal', 'RecordDecoder: lent reads need a payload pool');
    return this.pool;
  }

  /** True when bytes of an unfinished frame are held: the peer stopped mid-record. */
  get midFrame(): boolean {
    return this.queue.length > 0 || this.expected >= 0;
  }
}
