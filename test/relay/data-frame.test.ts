import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decode, encode } from '../../src/relay/codec.js';
import { readDataFrame } from '../../src/relay/data-frame.js';
import { validate } from '../../src/relay/validate.js';
import { anyMessage, messageOf } from '../helpers/arbitraries.js';

/** The generic reading of a frame body: a message, or the error it is refused with. */
function generic(body: Buffer): unknown {
  try {
    return validate(decode(body));
  } catch (err) {
    return err;
  }
}

test('every output and input frame encode() makes is read as the generic decoder reads it', () => {
  fc.assert(
    fc.property(fc.oneof(messageOf('output'), messageOf('input')), (msg) => {
      const body = encode(msg);
      const fast = readDataFrame(body);
      // an input without an offset is left to the generic path
      if (msg.type === 'input' && msg.offset === undefined) expect(fast).toBeUndefined();
      else expect(fast).toEqual(generic(body));
    }),
    { numRuns: 2000 },
  );
});

test('offsets past 32 bits (a float64) and data past 255 bytes and 64 KiB (bin16, bin32) are read whole', () => {
  for (const msg of [
    { type: 'output' as const, offset: 2 ** 40 + 3, data: Buffer.from('ab'), ack: 2 ** 33 },
    { type: 'output' as const, offset: 70_000, data: Buffer.alloc(300, 1) },
    { type: 'input' as const, offset: 2 ** 32, data: Buffer.alloc(70_000, 2) },
  ]) {
    expect(readDataFrame(encode(msg))).toEqual(msg);
  }
});

test('a body cut short, with bytes after it, or changed anywhere is read as the generic decoder reads it, or left to it', () => {
  fc.assert(
    fc.property(fc.oneof(messageOf('output'), messageOf('input')), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('cut', 'extra', 'flip'), (msg, where, byte, how) => {
      const whole = encode(msg);
      const at = where % whole.length;
      const body = how === 'cut' ? whole.subarray(0, at) : how === 'extra' ? Buffer.concat([whole, Buffer.from([byte])]) : Buffer.from(whole);
      if (how === 'flip') body[at] = byte;
      const fast = readDataFrame(body);
      if (fast !== undefined) expect(fast).toEqual(generic(body));
    }),
    { numRuns: 5000 },
  );
});

test('no other message is taken for a data frame', () => {
  fc.assert(
    fc.property(anyMessage(), (msg) => {
      if (msg.type !== 'output' && msg.type !== 'input') expect(readDataFrame(encode(msg))).toBeUndefined();
    }),
    { numRuns: 2000 },
  );
});
