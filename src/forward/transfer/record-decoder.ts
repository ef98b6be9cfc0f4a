import { ChunkQueue } from '../../relay/chunk-queue.js';
import { takeFrameLength } from '../../relay/frame.js';
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
  private readonly queue = new ChunkQueue();
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
    this.queue.push(chunk);
    for (;;) {
      if (this.payload !== undefined) {
        const payload = this.payload;
        payload.left -= this.queue.takeViews(payload.left, payload.pieces);
        if (payload.left > 0) break;
        this.payload = undefined;
        this.expected = -1;
        deliver(this.data!({ type: 'data', pieces: payload.pieces, bytes: payload.bytes }));
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
          this.payload = { pieces: [], left: layout.payloadBytes, bytes: layout.payloadBytes };
          continue;
        }
      }
      if (this.queue.length < this.expected) break;
      const body = this.queue.take(this.expected);
      this.expected = -1;
      deliver(this.parse(body));
    }
  }

  /** True when bytes of an unfinished frame are held: the peer stopped mid-record. */
  get midFrame(): boolean {
    return this.queue.length > 0 || this.expected >= 0;
  }
}
