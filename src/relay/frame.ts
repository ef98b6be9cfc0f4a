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
 * Turns a byte stream into whole frame bodies. Chunks are kept as they arrive and
 * joined only once a whole body is present, so a large frame costs one copy of its
 * own bytes, and a frame within one chunk none.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;

  /** Returns the bodies completed by `chunk`; throws GrittyError on an oversized length. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const bodies: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > MAX_FRAME_BYTES) {
          throw new GrittyError('frame-too-large', `peer announced a frame of ${length} bytes; the limit is ${MAX_FRAME_BYTES}`);
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      bodies.push(this.take(this.expected));
      this.expected = -1;
    }
    return bodies;
  }

  /** Takes the bytes held past the last whole frame, as when a stream stops being framed. */
  release(): Buffer {
    const rest = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.expected = -1;
    return rest;
  }

  /** True when bytes of an unfinished frame are held: the peer stopped mid-frame. */
  get midFrame(): boolean {
    return this.buffered > 0 || this.expected >= 0;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    this.buffered -= n;
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    // only the frame's own bytes are copied; what follows it stays where it arrived
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
