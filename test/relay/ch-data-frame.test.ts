import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_CH_DATA_HEAD_BYTES, writeChDataHead } from '../../src/relay/ch-data-frame.js';
import { decode, encode } from '../../src/relay/codec.js';
import { FrameDecoder, frameHeader } from '../../src/relay/frame.js';
import { MAX_CHANNEL_CHUNK_BYTES } from '../../src/relay/messages.js';
import { validate } from '../../src/relay/validate.js';

/** The hand-built ch-data frame must be the generic encoder's, byte for byte: the peer decodes both the same way. */

function fastFrame(id: number, offset: number, data: Buffer): Buffer {
  const head = Buffer.alloc(MAX_CH_DATA_HEAD_BYTES);
  const headBytes = writeChDataHead(head, id, offset, data.length);
  return Buffer.concat([head.subarray(0, headBytes), data]);
}

function genericFrame(id: number, offset: number, data: Buffer): Buffer {
  const body = encode({ type: 'ch-data', id, offset, data });
  return Buffer.concat([frameHeader(body.length), body]);
}

function agrees(id: number, offset: number, data: Buffer): void {
  const fast = fastFrame(id, offset, data);
  expect(fast.equals(genericFrame(id, offset, data))).toBe(true);
  const bodies = new FrameDecoder().push(fast);
  expect(bodies).toHaveLength(1);
  const msg = validate(decode(bodies[0]!));
  // Buffer.equals: a deep toEqual walks 64 KiB element by element
  expect(msg.type === 'ch-data' && msg.id === id && msg.offset === offset && msg.data.equals(data)).toBe(true);
}

// each width msgpack has for an unsigned integer, at both ends, and past 32 bits (a float64)
const UINT_EDGES = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER];
// empty, one byte, and each side of the bin8 / bin16 / bin32 boundaries, up to the largest chunk allowed
const SIZE_EDGES = [...new Set([0, 1, 0xff, 0x100, 0xffff, 0x10000, MAX_CHANNEL_CHUNK_BYTES])];

describe('writeChDataHead', () => {
  test.each(SIZE_EDGES)('a %i-byte payload is framed as encode() frames it', (size) => {
    const data = Buffer.alloc(size, 0xa5);
    for (const id of [1, 0x80, 0xffffffff]) agrees(id, 0, data);
  });

  test.each(UINT_EDGES)('id and offset %i are written as encode() writes them', (value) => {
    agrees(value, 7, Buffer.from('x'));
    agrees(3, value, Buffer.from('xyz'));
  });

  test('any id, offset and payload agree with encode()', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.nat({ max: MAX_CHANNEL_CHUNK_BYTES }),
        fc.integer({ min: 0, max: 255 }),
        (id, offset, size, fill) => agrees(id, offset, Buffer.alloc(size, fill)),
      ),
      { numRuns: 300 },
    );
  });

  test('what the peer would refuse is refused here', () => {
    const head = Buffer.alloc(MAX_CH_DATA_HEAD_BYTES);
    expect(() => writeChDataHead(head, 1, 0, MAX_CHANNEL_CHUNK_BYTES + 1)).toThrow(/malformed ch-data/);
    expect(() => writeChDataHead(head, -1, 0, 1)).toThrow(/malformed ch-data/);
    expect(() => writeChDataHead(head, 1, 1.5, 1)).toThrow(/malformed ch-data/);
    expect(() => writeChDataHead(head, 1, Number.MAX_SAFE_INTEGER + 1, 1)).toThrow(/malformed ch-data/);
  });
});
