import type { Connection } from '../relay/connection.js';
import type { RingBuffer } from './ring-buffer.js';

/** Most output bytes in one frame: large enough for throughput, small enough not to delay a keystroke's echo. */
export const OUTPUT_CHUNK_BYTES = 64 * 1024;

/**
 * A reader of the ring that writes `output` frames to one connection as fast as the
 * socket drains. The ring is the send queue: nothing is buffered per client beyond
 * the socket's own high-water mark, so memory stays bounded whatever the client's speed.
 */
export class OutputPump {
  private waitingForDrain = false;
  private stopped = false;

  constructor(
    private readonly ring: RingBuffer,
    private readonly conn: Connection,
    private cursor: number,
    private readonly events: {
      /** The client fell out of the ring: it needs a repaint, `lost` bytes are gone. */
      onFellBehind(lost: number): void;
      /** Everything the ring holds has been written. */
      onCaughtUp(): void;
      /** An input acknowledgement to carry on the next frame, if one is due. */
      takeAck?(): number | undefined;
      /** The cursor may have moved: the socket took what it could. */
      onSent?(): void;
    },
  ) {}

  get offset(): number {
    return this.cursor;
  }

  /** Moves the cursor, as after a repaint that covers everything before `offset`. */
  restartAt(offset: number): void {
    this.cursor = offset;
    this.stopped = false;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
  }

  pump(): void {
    if (this.stopped || this.waitingForDrain || this.conn.isClosed) return;
    while (this.cursor < this.ring.end) {
      if (this.cursor < this.ring.start) {
        this.stopped = true;
        this.events.onFellBehind(this.ring.start - this.cursor);
        return;
      }
      const offset = this.cursor;
      const data = this.ring.read(offset, OUTPUT_CHUNK_BYTES);
      this.cursor += data.length;
      const ack = this.events.takeAck?.();
      const pin = this.ring.pin(offset);
      if (!this.conn.sendOutput(offset, data, ack, () => this.ring.unpin(pin))) {
        this.waitingForDrain = true;
        this.conn.onDrain(() => {
          this.waitingForDrain = false;
          this.pump();
        });
        this.events.onSent?.();
        return;
      }
    }
    this.events.onSent?.();
    this.events.onCaughtUp();
  }
}
