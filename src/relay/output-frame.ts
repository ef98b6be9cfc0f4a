import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './frame.js';
import { MAP16, MAX_BIN_HEADER_BYTES, MAX_UINT_BYTES, fixstr, isUint, writeBinHeader, writeUint } from './msgpack-layout.js';

/**
 * The bytes of an `output` frame around its data, built by hand so the data itself is
 * written from where it lies instead of being copied into the encoder's buffer (and the
 * encoder's fresh buffers paged in: ~10% of the daemon's CPU in a flood). Byte for byte
 * what encode() makes of `{ type: 'output', offset, data, ack? }`: msgpackr writes a
 * plain object as a map16 in key order, short strings as fixstr, a non-negative integer
 * in the smallest uint that holds it up to 32 bits and as a float64 beyond, and bin in
 * the smallest of bin8/16/32. test/relay/output-frame.test.ts holds the two together.
 */
export interface OutputFrameParts {
  /** Frame header and every field before the data's bytes. */
  head: Buffer;
  /** The `ack` field after the data, when there is one. */
  tail: Buffer | undefined;
}

const TYPE_KEY = Buffer.concat([fixstr('type'), fixstr('output')]);
const OFFSET_KEY = fixstr('offset');
const DATA_KEY = fixstr('data');
const ACK_KEY = fixstr('ack');
const MAX_HEAD_BYTES = FRAME_HEADER_BYTES + 3 + TYPE_KEY.length + OFFSET_KEY.length + MAX_UINT_BYTES + DATA_KEY.length + MAX_BIN_HEADER_BYTES;

/** `undefined` when a field is not a non-negative safe integer: the caller encodes such a frame the generic way. */
export function outputFrameParts(offset: number, dataLength: number, ack: number | undefined): OutputFrameParts | undefined {
  if (!isUint(offset) || (ack !== undefined && !isUint(ack))) return undefined;
  const head = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  let at = FRAME_HEADER_BYTES;
  head[at++] = MAP16;
  head[at++] = 0;
  head[at++] = ack === undefined ? 3 : 4;
  at += TYPE_KEY.copy(head, at);
  at += OFFSET_KEY.copy(head, at);
  at = writeUint(head, at, offset);
  at += DATA_KEY.copy(head, at);
  at = writeBinHeader(head, at, dataLength);
  let tail: Buffer | undefined;
  if (ack !== undefined) {
    tail = Buffer.allocUnsafe(ACK_KEY.length + MAX_UINT_BYTES);
    tail = tail.subarray(0, writeUint(tail, ACK_KEY.copy(tail, 0), ack));
  }
  const bodyLength = at - FRAME_HEADER_BYTES + dataLength + (tail?.length ?? 0);
  if (bodyLength > MAX_FRAME_BYTES) return undefined;
  head.writeUInt32BE(bodyLength, 0);
  return { head: head.subarray(0, at), tail };
}
