import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decode, encode } from '../../src/relay/codec.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, frameHeader } from '../../src/relay/frame.js';
import { outputFrameParts } from '../../src/relay/output-frame.js';

/** What Connection.send() writes for an output frame: header and encode()'s body. */
function generic(offset: number, data: Buffer, ack: number | undefined): Buffer {
  const body = encode(ack === undefined ? { type: 'output', offset, data } : { type: 'output', offset, data, ack });
  return Buffer.concat([frameHeader(body.length), body]);
}

function fast(offset: number, data: Buffer, ack: number | undefined): Buffer {
  const parts = outputFrameParts(offset, data.length, ack);
  if (parts === undefined) throw new Error('no fast encoding');
  return Buffer.concat(parts.tail === undefined ? [parts.head, data] : [parts.head, data, parts.tail]);
}

/** Both sides of every boundary where msgpack changes the width of a uint. */
const UINT_EDGES = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, 0xffff_ffff, 0x1_0000_0000, 2 ** 40, Number.MAX_SAFE_INTEGER];
/** Both sides of bin8/bin16/bin32, and the largest data a frame holds. */
const LENGTH_EDGES = [0, 1, 0xff, 0x100, 0xffff, 0x1_0000, 64 * 1024, MAX_FRAME_BYTES - 64];

describe('outputFrameParts', () => {
  test('makes the same bytes as encode() at every width boundary of offset, ack and data', () => {
    for (const length of LENGTH_EDGES) {
      const data = Buffer.alloc(length, 0x5a);
      for (const offset of UINT_EDGES) {
        for (const ack of [undefined, ...UINT_EDGES]) {
          const bytes = fast(offset, data, ack);
          expect(bytes.equals(generic(offset, data, ack)), `offset ${offset} length ${length} ack ${ack}`).toBe(true);
        }
      }
    }
  });

  test('makes the same bytes as encode() for any offset, ack and data', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.option(fc.nat({ max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
        fc.uint8Array({ maxLength: 70_000 }),
        (offset, ack, bytes) => {
          const data = Buffer.from(bytes);
          expect(fast(offset, data, ack).equals(generic(offset, data, ack))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('decodes to the message it stands for', () => {
    const data = Buffer.from('hello, world');
    const bytes = fast(2 ** 33 + 5, data, 70_000);
    expect(bytes.readUInt32BE(0)).toBe(bytes.length - FRAME_HEADER_BYTES);
    expect(decode(bytes.subarray(FRAME_HEADER_BYTES))).toEqual({ type: 'output', offset: 2 ** 33 + 5, data, ack: 70_000 });
  });

  test('leaves to the generic encoder what is not a non-negative safe integer, or too large for a frame', () => {
    expect(outputFrameParts(-1, 10, undefined)).toBeUndefined();
    expect(outputFrameParts(1.5, 10, undefined)).toBeUndefined();
    expect(outputFrameParts(2 ** 53, 10, undefined)).toBeUndefined();
    expect(outputFrameParts(0, 10, -3)).toBeUndefined();
    expect(outputFrameParts(0, 10, Number.NaN)).toBeUndefined();
    expect(outputFrameParts(0, MAX_FRAME_BYTES, undefined)).toBeUndefined();
  });
});
