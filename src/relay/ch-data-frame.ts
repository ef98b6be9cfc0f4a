import { GrittyError } from './errors.js';
import { FRAME_HEADER_BYTES } from './frame.js';
import { MAX_CHANNEL_CHUNK_BYTES } from './messages.js';

/**
 * A ch-data frame without msgpack copying its payload: the frame length, the map up to
 * the payload, then the payload itself beside it. Byte for byte what `encode()` makes
 * of `{ type: 'ch-data', id, offset, data }` in that key order (test/relay/
 * ch-data-frame.test.ts holds it to that), so the peer cannot tell the two apart.
 */

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
/** A map of 4 (msgpackr always writes a map16), "type": "ch-data", "id" (a fixstr is 0xa0 | length). */
const BEFORE_ID = Buffer.from([0xde, 0x00, 0x04, 0xa4, ...ascii('type'), 0xa7, ...ascii('ch-data'), 0xa2, ...ascii('id')]);
const OFFSET_KEY = Buffer.from([0xa6, ...ascii('offset')]);
const DATA_KEY = Buffer.from([0xa4, ...ascii('data')]);
/** An unsigned integer takes at most 9 bytes (a float64 past 32 bits); a bin header 5. */
const MAX_UINT_BYTES = 9;
const MAX_BIN_HEADER_BYTES = 5;
export const MAX_CH_DATA_HEAD_BYTES =
  FRAME_HEADER_BYTES + BEFORE_ID.length + MAX_UINT_BYTES + OFFSET_KEY.length + MAX_UINT_BYTES + DATA_KEY.length + MAX_BIN_HEADER_BYTES;

/**
 * Writes the frame of a ch-data message into `into` at 0, up to where the payload
 * starts, and returns that length. `into` needs MAX_CH_DATA_HEAD_BYTES. Refuses what
 * the peer would refuse, as the generic send path's schema check does.
 */
export function writeChDataHead(into: Buffer, id: number, offset: number, length: number): number {
  if (!isUint(id) || !isUint(offset) || length > MAX_CHANNEL_CHUNK_BYTES) {
    throw new GrittyError('internal', `refusing to send a malformed ch-data: id ${id}, offset ${offset}, ${length} bytes`);
  }
  let at = FRAME_HEADER_BYTES;
  at += BEFORE_ID.copy(into, at);
  at = writeUint(into, at, id);
  at += OFFSET_KEY.copy(into, at);
  at = writeUint(into, at, offset);
  at += DATA_KEY.copy(into, at);
  at = writeBinHeader(into, at, length);
  into.writeUInt32BE(at - FRAME_HEADER_BYTES + length, 0);
  return at;
}

function isUint(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** As msgpackr writes a non-negative integer without records: fixint, uint8/16/32, else float64. */
function writeUint(into: Buffer, at: number, value: number): number {
  if (value < 0x80) {
    into[at] = value;
    return at + 1;
  }
  if (value < 0x100) {
    into[at] = 0xcc;
    into[at + 1] = value;
    return at + 2;
  }
  if (value < 0x10000) {
    into[at] = 0xcd;
    into.writeUInt16BE(value, at + 1);
    return at + 3;
  }
  if (value <= 0xffffffff) {
    into[at] = 0xce;
    into.writeUInt32BE(value, at + 1);
    return at + 5;
  }
  into[at] = 0xcb;
  into.writeDoubleBE(value, at + 1);
  return at + 9;
}

function writeBinHeader(into: Buffer, at: number, length: number): number {
  if (length < 0x100) {
    into[at] = 0xc4;
    into[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    into[at] = 0xc5;
    into.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  into[at] = 0xc6;
  into.writeUInt32BE(length, at + 1);
  return at + 5;
}
