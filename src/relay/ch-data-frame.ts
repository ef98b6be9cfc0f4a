import { GrittyError } from './errors.js';
import { FRAME_HEADER_BYTES } from './frame.js';
import { MAX_CHANNEL_CHUNK_BYTES } from './messages.js';
import { MAP16, MAX_BIN_HEADER_BYTES, MAX_UINT_BYTES, fixstr, isUint, writeBinHeader, writeUint } from './msgpack-layout.js';

/**
 * A ch-data frame without msgpack copying its payload: the frame length, the map up to
 * the payload, then the payload itself beside it. Byte for byte what `encode()` makes
 * of `{ type: 'ch-data', id, offset, data }` in that key order (test/relay/
 * ch-data-frame.test.ts holds it to that), so the peer cannot tell the two apart.
 */

/** A map of 4 (msgpackr always writes a map16), "type": "ch-data", "id". */
const BEFORE_ID = Buffer.concat([Buffer.from([MAP16, 0x00, 0x04]), fixstr('type'), fixstr('ch-data'), fixstr('id')]);
const OFFSET_KEY = fixstr('offset');
const DATA_KEY = fixstr('data');
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
