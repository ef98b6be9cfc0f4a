import { describe, expect, test } from 'vitest';
import { isGrittyError } from '../../src/relay/errors.js';
import { FRAME_HEADER_BYTES, FrameDecoder, MAX_FRAME_BYTES, frameHeader } from '../../src/relay/frame.js';

function frame(body: Buffer): Buffer {
  return Buffer.concat([frameHeader(body.length), body]);
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('frameHeader', () => {
  test('writes the body length as a big-endian u32', () => {
    expect(frameHeader(0)).toHaveLength(FRAME_HEADER_BYTES);
    expect([...frameHeader(258)]).toEqual([0, 0, 1, 2]);
  });

  test('accepts exactly MAX_FRAME_BYTES and refuses one more', () => {
    expect(frameHeader(MAX_FRAME_BYTES).readUInt32BE(0)).toBe(MAX_FRAME_BYTES);
    const err = catchError(() => frameHeader(MAX_FRAME_BYTES + 1));
    expect(isGrittyError(err, 'frame-too-large')).toBe(true);
  });
});

describe('FrameDecoder', () => {
  const bodies = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), Buffer.from('x')];
  const stream = Buffer.concat(bodies.map(frame));

  test('yields the same bodies whichever byte boundary splits the stream in two', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const got = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(got.map((b) => b.toString('hex')), `cut at ${cut}`).toEqual(bodies.map((b) => b.toString('hex')));
      expect(decoder.midFrame).toBe(false);
    }
  });

  test('yields the same bodies when fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(got.map((b) => b.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
  });

  test('yields the same bodies whichever two boundaries split the stream in three', () => {
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const decoder = new FrameDecoder();
        const got = [
          ...decoder.push(stream.subarray(0, a)),
          ...decoder.push(stream.subarray(a, b)),
          ...decoder.push(stream.subarray(b)),
        ];
        expect(got.length, `cuts at ${a},${b}`).toBe(bodies.length);
        expect(Buffer.concat(got).equals(Buffer.concat(bodies))).toBe(true);
      }
    }
  });

  test('returns every frame held in one chunk, in order', () => {
    const decoder = new FrameDecoder();
    const got = decoder.push(stream);
    expect(got.map((b) => b.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
  });

  test('returns bodies that survive later pushes unchanged', () => {
    const decoder = new FrameDecoder();
    const [first] = decoder.push(frame(Buffer.from('first')));
    decoder.push(frame(Buffer.from('second')));
    expect(first!.toString()).toBe('first');
  });

  test('a body split across chunks is copied alone: the bytes after it are not copied with it', () => {
    const big = Buffer.alloc(64 * 1024, 1);
    const next = Buffer.alloc(60 * 1024, 2);
    const stream = Buffer.concat([frame(big), frame(next)]);
    const decoder = new FrameDecoder();
    // as a socket delivers it: 64 KiB reads, so the first body spans two of them
    const bodies = [stream.subarray(0, 64 * 1024), stream.subarray(64 * 1024)].flatMap((chunk) => decoder.push(chunk));
    expect(bodies.map((b) => b.length)).toEqual([big.length, next.length]);
    expect(bodies[0]!.equals(big) && bodies[1]!.equals(next)).toBe(true);
    expect(bodies[0]!.buffer.byteLength).toBe(big.length);
  });

  test('refuses an oversized length from the header alone, before the body arrives', () => {
    const decoder = new FrameDecoder();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff, 0);
    const err = catchError(() => decoder.push(header));
    expect(isGrittyError(err, 'frame-too-large')).toBe(true);
    expect((err as Error).message).toContain(String(MAX_FRAME_BYTES));
  });

  test('refuses a length of MAX_FRAME_BYTES + 1 but waits for a body of exactly MAX_FRAME_BYTES', () => {
    const over = Buffer.alloc(4);
    over.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    expect(isGrittyError(catchError(() => new FrameDecoder().push(over)), 'frame-too-large')).toBe(true);

    const decoder = new FrameDecoder();
    expect(decoder.push(frameHeader(MAX_FRAME_BYTES))).toEqual([]);
    expect(decoder.midFrame).toBe(true);
    const [body] = decoder.push(Buffer.alloc(MAX_FRAME_BYTES, 7));
    expect(body).toHaveLength(MAX_FRAME_BYTES);
    expect(decoder.midFrame).toBe(false);
  });

  test('reports midFrame while a header or a body is incomplete, and not between frames', () => {
    const decoder = new FrameDecoder();
    expect(decoder.midFrame).toBe(false);
    const one = frame(Buffer.from('abc'));
    decoder.push(one.subarray(0, 2));
    expect(decoder.midFrame).toBe(true);
    decoder.push(one.subarray(2, 4));
    expect(decoder.midFrame).toBe(true);
    decoder.push(one.subarray(4, 6));
    expect(decoder.midFrame).toBe(true);
    expect(decoder.push(one.subarray(6))).toHaveLength(1);
    expect(decoder.midFrame).toBe(false);
  });

  test('counts a zero-length frame whose header has arrived as complete', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(frameHeader(0))).toEqual([Buffer.alloc(0)]);
    expect(decoder.midFrame).toBe(false);
  });
});
