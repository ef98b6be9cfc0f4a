import { describe, expect, test } from 'vitest';
import { RING_FIRST_BYTES, RingBuffer } from '../../src/server/ring-buffer.js';

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

  describe('memory that grows with what it holds', () => {
    test('a fresh ring holding a prompt takes RING_FIRST_BYTES, not its capacity', () => {
      const ring = new RingBuffer(1024 * 1024);
      ring.append(Buffer.from('user@host:~$ '));
      expect(ring.read(0, 13).buffer.byteLength).toBe(RING_FIRST_BYTES);
    });

    test('grows by doubling to what an append needs, and to the capacity at most', () => {
      const ring = new RingBuffer(10 * RING_FIRST_BYTES);
      ring.append(counting(0, RING_FIRST_BYTES + 1));
      expect(ring.read(0, 1).buffer.byteLength).toBe(2 * RING_FIRST_BYTES);
      ring.append(counting(RING_FIRST_BYTES + 1, 5 * RING_FIRST_BYTES));
      expect(ring.read(0, 1).buffer.byteLength).toBe(8 * RING_FIRST_BYTES);
      ring.append(counting(6 * RING_FIRST_BYTES + 1, 3 * RING_FIRST_BYTES));
      expect(ring.read(ring.start, 1).buffer.byteLength).toBe(10 * RING_FIRST_BYTES);
    });

    test('returns every slice correctly while it grows and after it wraps at the capacity', () => {
      const capacity = 5 * RING_FIRST_BYTES + 3;
      const ring = new RingBuffer(capacity);
      let written = 0;
      for (const size of [1, 700, 1000, 0, 333, 2049, 1, 4000, capacity + 17, 5]) {
        ring.append(counting(written, size));
        written += size;
        expect(ring.end).toBe(written);
        expect(ring.start).toBe(Math.max(0, written - capacity));
        for (let from = ring.start; from <= ring.end; from += 97) {
          for (const n of [0, 1, 500, capacity]) {
            const got = ring.read(from, n);
            expect(got.equals(counting(from, Math.min(n, ring.end - from))), `read(${from}, ${n}) after ${written}`).toBe(true);
          }
        }
      }
    });

    test('a view taken before the ring grows keeps its bytes, pinned or not', () => {
      const ring = new RingBuffer(4 * RING_FIRST_BYTES);
      ring.append(counting(0, 100));
      const lent = ring.read(10, 50);
      const pin = ring.pin(10);
      const kept = ring.read(60, 40);
      ring.append(counting(100, 3 * RING_FIRST_BYTES));
      ring.append(counting(100 + 3 * RING_FIRST_BYTES, 2 * RING_FIRST_BYTES));
      expect(lent.equals(counting(10, 50))).toBe(true);
      expect(kept.equals(counting(60, 40))).toBe(true);
      expect(ring.read(ring.start, 4 * RING_FIRST_BYTES).equals(counting(ring.start, 4 * RING_FIRST_BYTES))).toBe(true);
      ring.unpin(pin);
    });
  });

  test('refuses a read outside [start, end]', () => {
    const ring = new RingBuffer(4);
    ring.append(Buffer.from('abcdef'));
    expect(() => ring.read(1, 1)).toThrow(RangeError);
    expect(() => ring.read(7, 1)).toThrow(RangeError);
    expect(ring.read(6, 1)).toHaveLength(0);
  });

  describe('lent bytes (pin)', () => {
    test('a pinned view keeps its bytes while appends overwrite the ring, many times over', () => {
      const ring = new RingBuffer(16);
      ring.append(counting(0, 12));
      const view = ring.read(2, 8);
      const pin = ring.pin(2);
      for (let at = 12; at < 200; at += 5) ring.append(counting(at, 5));
      expect(view.equals(counting(2, 8))).toBe(true);
      expect(ring.read(ring.start, 16).equals(counting(ring.start, 16))).toBe(true);
      ring.unpin(pin);
    });

    test('an unpinned view is overwritten in place: the ring does not copy for bytes no one holds', () => {
      const ring = new RingBuffer(16);
      ring.append(counting(0, 12));
      const view = ring.read(2, 8);
      ring.unpin(ring.pin(2));
      ring.append(counting(12, 16));
      expect(view.equals(counting(2, 8))).toBe(false);
      expect(view.equals(counting(18, 8))).toBe(true);
    });

    test('a pin on bytes an append does not reach costs nothing: the view stays the ring itself', () => {
      const ring = new RingBuffer(16);
      ring.append(counting(0, 12));
      const view = ring.read(8, 4);
      const pin = ring.pin(8);
      ring.append(counting(12, 12));
      expect(view.equals(counting(8, 4))).toBe(true);
      ring.unpin(pin);
      ring.append(counting(24, 8));
      expect(view.equals(counting(24, 4))).toBe(true);
    });

    test('every pin is honoured, and releasing one after the ring moved on is harmless', () => {
      const ring = new RingBuffer(8);
      ring.append(counting(0, 8));
      const a = ring.read(0, 4);
      const pinA = ring.pin(0);
      const b = ring.read(4, 4);
      const pinB = ring.pin(4);
      ring.append(counting(8, 2));
      ring.unpin(pinA);
      const c = ring.read(6, 2);
      const pinC = ring.pin(6);
      ring.unpin(pinB);
      ring.append(counting(10, 8));
      expect(a.equals(counting(0, 4))).toBe(true);
      expect(b.equals(counting(4, 4))).toBe(true);
      expect(c.equals(counting(6, 2))).toBe(true);
      ring.unpin(pinC);
      expect(ring.read(10, 8).equals(counting(10, 8))).toBe(true);
    });
  });
});
