import { GrittyError } from '../../relay/errors.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from '../../relay/frame.js';
import { MAX_DATA_HEAD_BYTES, dataRecordLayout, type DataPieces } from './format.js';

/** The payload of a data record being gathered. */
interface Gathering {
  pieces: Buffer[];
  left: number;
  bytes: number;
}

/**
 * Transfer frames in, records out: relay's FrameDecoder and a parser in one, except
 * that a data record's payload (nearly every byte of a transfer) is handed on as views
 * of the chunks it arrived in. A 64 KiB record spans two 64 KiB socket reads, and
 * joining it would copy every byte once more into memory touched for the first time,
 * which costs more than the copy on a VM. Every other frame is joined and parsed whole.
 */
export class RecordDecoder<In> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read; -1 between frames. */
  private expected = -1;
  private payload: Gathering | undefined;

  /**
   * `parse` validates a whole frame body; `data`, when given, takes the data records
   * that dataRecordLayout() recognises, without them being joined or parsed.
   */
  constructor(
    private readonly parse: (body: Buffer) => In,
    private readonly data?: (record: DataPieces) => In,
  ) {}

  /**
   * Hands each record completed by `chunk` to `deliver`, in order; throws GrittyError at
   * an oversized or invalid frame, after taking the records before it.
   */
  push(chunk: Buffer, deliver: (record: In) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.payload !== undefined) {
        const payload = this.payload;
        this.gather(payload);
        if (payload.left > 0) break;
        this.payload = undefined;
        this.expected = -1;
        deliver(this.data!({ type: 'data', pieces: payload.pieces, bytes: payload.bytes }));
        continue;
      }
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > MAX_FRAME_BYTES) {
          throw new GrittyError('frame-too-large', `peer announced a frame of ${length} bytes; the limit is ${MAX_FRAME_BYTES}`);
        }
        this.expected = length;
      }
      if (this.data !== undefined) {
        const head = Math.min(this.expected, MAX_DATA_HEAD_BYTES);
        if (this.buffered < head) break;
        const layout = dataRecordLayout(this.peek(head), this.expected);
        if (layout !== undefined) {
          this.take(layout.headBytes);
          this.payload = { pieces: [], left: layout.payloadBytes, bytes: layout.payloadBytes };
          continue;
        }
      }
      if (this.buffered < this.expected) break;
      const body = this.take(this.expected);
      this.expected = -1;
      deliver(this.parse(body));
    }
  }

  /** True when bytes of an unfinished frame are held: the peer stopped mid-record. */
  get midFrame(): boolean {
    return this.buffered > 0 || this.expected >= 0;
  }

  /** Moves what has arrived of `payload` into it, as views. */
  private gather(payload: Gathering): void {
    while (payload.left > 0 && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= payload.left) {
        this.chunks.shift();
        payload.pieces.push(chunk);
        payload.left -= chunk.length;
        this.buffered -= chunk.length;
      } else {
        payload.pieces.push(chunk.subarray(0, payload.left));
        this.chunks[0] = chunk.subarray(payload.left);
        this.buffered -= payload.left;
        payload.left = 0;
      }
    }
  }

  /** The first `n` buffered bytes, left in place. */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const needed: Buffer[] = [];
    for (let have = 0; have < n; have += needed[needed.length - 1]!.length) needed.push(this.chunks[needed.length]!);
    return Buffer.concat(needed, n);
  }

  /** Takes `n` buffered bytes: a view when they lie in one chunk, else a copy of just them. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    this.buffered -= n;
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const wanted = n - filled;
      if (chunk.length <= wanted) {
        filled += chunk.copy(out, filled);
        this.chunks.shift();
      } else {
        filled += chunk.copy(out, filled, 0, wanted);
        this.chunks[0] = chunk.subarray(wanted);
      }
    }
    return out;
  }
}
