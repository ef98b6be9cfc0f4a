import { describe, expect, test } from 'vitest';
import { RingBuffer } from '../../src/server/ring-buffer.js';

/** Bytes 0..n-1 of an endless counting stream, so any slice can be checked by its offsets. */
function counting(from: number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (from + i) % 251));
}

describe('RingBuffer', () => {
  test('starts empty at offset 0', () => {
    const ring = new RingBuffer(8);
    expect(ring.start).toBe(0);
    expect(ring.end).toBe(0);
    expect(ring.read(0, 100)).toHaveLength(0);
  });

  test('refuses a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(-1)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });

  test('holds everything until it is full', () => {
    const ring = new RingBuffer(8);
    ring.append(Buffer.from('abc'));
    ring.append(Buffer.from('defgh'));
    expect(ring.start).toBe(0);
    expect(ring.end).toBe(8);
    expect(ring.read(0, 8).toString()).toBe('abcdefgh');
  });

  test('drops the oldest bytes when an append wraps around', () => {
    const ring = new RingBuffer(8);
    ring.append(Buffer.from('abcdef'));
    ring.append(Buffer.from('ghij'));
    expect(ring.start).toBe(2);
    expect(ring.end).toBe(10);
    expect(ring.read(2, 100).toString()).toBe('cdefghij');
  });

  test('reads across the seam into one contiguous buffer', () => {
    const ring = new RingBuffer(8);
    ring.append(Buffer.from('abcdef'));
    ring.append(Buffer.from('ghij')); // i, j land at physical 0, 1
    expect(ring.read(5, 4).toString()).toBe('fghi');
    expect(ring.read(7, 3).toString()).toBe('hij');
    expect(ring.read(8, 2).toString()).toBe('ij');
  });

  test('returns every slice [from, from+n) correctly after many wraps of odd sizes', () => {
    const capacity = 37;
    const ring = new RingBuffer(capacity);
    let written = 0;
    for (const size of [1, 5, 36, 37, 2, 50, 13, 0, 29, 74, 3]) {
      ring.append(counting(written, size));
      written += size;
      expect(ring.end).toBe(written);
      expect(ring.start).toBe(Math.max(0, written - capacity));
      for (let from = ring.start; from <= ring.end; from++) {
        for (const n of [0, 1, 7, capacity]) {
          const got = ring.read(from, n);
          expect(got.equals(counting(from, Math.min(n, ring.end - from))), `read(${from}, ${n}) after ${written}`).toBe(true);
        }
      }
    }
  });

  test('keeps offsets monotonic: end grows by every append, start never moves back', () => {
    const ring = new RingBuffer(16);
    let lastStart = 0;
    let lastEnd = 0;
    for (let i = 0; i < 100; i++) {
      const size = (i * 7) % 23;
      ring.append(Buffer.alloc(size, i));
      expect(ring.end).toBe(lastEnd + size);
      expect(ring.start).toBeGreaterThanOrEqual(lastStart);
      expect(ring.end - ring.start).toBeLessThanOrEqual(16);
      lastStart = ring.start;
      lastEnd = ring.end;
    }
  });

  test('keeps the newest capacity bytes of an append larger than the capacity', () => {
    const ring = new RingBuffer(10);
    ring.append(Buffer.from('xyz'));
    ring.append(counting(3, 25));
    expect(ring.end).toBe(28);
    expect(ring.start).toBe(18);
    expect(ring.read(18, 10).equals(counting(18, 10))).toBe(true);
  });

  test('keeps an oversized append aligned with later appends', () => {
    const ring = new RingBuffer(10);
    ring.append(counting(0, 23));
    ring.append(counting(23, 4));
    expect(ring.read(ring.start, 10).equals(counting(17, 10))).toBe(true);
  });

  test('refuses a read outside [start, end]', () => {
    const ring = new RingBuffer(4);
    ring.append(Buffer.from('abcdef'));
    expect(() => ring.read(1, 1)).toThrow(RangeError);
    expect(() => ring.read(7, 1)).toThrow(RangeError);
    expect(ring.read(6, 1)).toHaveLength(0);
  });
});
