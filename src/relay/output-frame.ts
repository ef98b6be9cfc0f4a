import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './frame.js';

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

const MAP16 = 0xde;
const TYPE_KEY = Buffer.from([0xa4, ...Buffer.from('type'), 0xa6, ...Buffer.from('output')]);
const OFFSET_KEY = Buffer.from([0xa6, ...Buffer.from('offset')]);
const DATA_KEY = Buffer.from([0xa4, ...Buffer.from('data')]);
const ACK_KEY = Buffer.from([0xa3, ...Buffer.from('ack')]);
/** Longest encoding of an offset or ack: a marker and a float64. */
const MAX_UINT_BYTES = 9;
/** Longest bin header: bin32's marker and length. */
const MAX_BIN_HEADER_BYTES = 5;
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

function isUint(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function writeUint(buf: Buffer, at: number, value: number): number {
  if (value < 0x80) {
    buf[at] = value;
    return at + 1;
  }
  if (value < 0x100) {
    buf[at] = 0xcc;
    buf[at + 1] = value;
    return at + 2;
  }
  if (value < 0x10000) {
    buf[at] = 0xcd;
    buf.writeUInt16BE(value, at + 1);
    return at + 3;
  }
  if (value < 0x1_0000_0000) {
    buf[at] = 0xce;
    buf.writeUInt32BE(value, at + 1);
    return at + 5;
  }
  buf[at] = 0xcb;
  buf.writeDoubleBE(value, at + 1);
  return at + 9;
}

function writeBinHeader(buf: Buffer, at: number, length: number): number {
  if (length < 0x100) {
    buf[at] = 0xc4;
    buf[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    buf[at] = 0xc5;
    buf.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  buf[at] = 0xc6;
  buf.writeUInt32BE(length, at + 1);
  return at + 5;
}
