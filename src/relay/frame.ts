import { ChunkQueue } from './chunk-queue.js';
import { GrittyError } from './errors.js';

/** Upper bound of one frame body; checked before any allocation. */
export const MAX_FRAME_BYTES = 1 << 20;
export const FRAME_HEADER_BYTES = 4;

export function frameHeader(bodyLength: number): Buffer {
  if (bodyLength > MAX_FRAME_BYTES) {
    throw new GrittyError('frame-too-large', `frame of ${bodyLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(bodyLength, 0);
  return header;
}

/**
 * Takes the next frame's header off `queue` and returns the body length it announces;
 * undefined while the header is not whole. Throws frame-too-large before anything of
 * the body is held for it.
 */
export function takeFrameLength(queue: ChunkQueue): number | undefined {
  if (queue.length < FRAME_HEADER_BYTES) return undefined;
  const length = queue.take(FRAME_HEADER_BYTES).readUInt32BE(0);
  if (length > MAX_FRAME_BYTES) {
    throw new GrittyError('frame-too-large', `peer announced a frame of ${length} bytes; the limit is ${MAX_FRAME_BYTES}`);
  }
  return length;
}

/**
 * Turns a byte stream into whole frame bodies. Chunks are kept as they arrive and
 * joined only once a whole body is present, so a large frame costs one copy of its
 * own bytes, and a frame within one chunk none.
 */
export class FrameDecoder {
  private readonly queue = new ChunkQueue();
  private expected = -1;

  /** Returns the bodies completed by `chunk`; throws GrittyError on an oversized length. */
  push(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const bodies: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        const length = takeFrameLength(this.queue);
        if (length === undefined) break;
        this.expected = length;
      }
      if (this.queue.length < this.expected) break;
      bodies.push(this.queue.take(this.expected));
      this.expected = -1;
    }
    return bodies;
  }

  /** Takes the bytes held past the last whole frame, as when a stream stops being framed. */
  release(): Buffer {
    this.expected = -1;
    return this.queue.takeAll();
  }

  /** True when bytes of an unfinished frame are held: the peer stopped mid-frame. */
  get midFrame(): boolean {
    return this.queue.length > 0 || this.expected >= 0;
  }
}
