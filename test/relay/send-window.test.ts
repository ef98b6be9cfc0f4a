import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isGrittyError } from '../../src/relay/errors.js';
import { ReceiveCursor, SendWindow } from '../../src/relay/send-window.js';

describe('SendWindow and ReceiveCursor', () => {
  test('hold what is unacknowledged, with offsets, and free it on acknowledgement', () => {
    const window = new SendWindow(100, 10);
    window.push(Buffer.from('hello'));
    window.push(Buffer.from('world'));
    expect(window.space).toBe(0);
    expect(window.takeUnsent(3)).toEqual({ offset: 100, data: Buffer.from('hel') });
    expect(window.takeUnsent(100)).toEqual({ offset: 103, data: Buffer.from('loworld') });
    expect(window.takeUnsent(100)).toBeUndefined();
    window.ack(104);
    expect(window.held).toBe(6);
    window.rewind(104);
    expect(window.takeUnsent(100)?.data.toString()).toBe('oworld');
  });

  test('an acknowledgement of bytes never sent, or a resume outside what is held, is a protocol error', () => {
    const window = new SendWindow(0, 100);
    window.push(Buffer.from('abc'));
    window.takeUnsent(1);
    expect(() => window.ack(2)).toThrow(/only 1 was sent/);
    window.ack(1);
    expect(() => window.rewind(0)).toThrow(/holds 1..3/);
    expect(() => window.rewind(4)).toThrow(/holds 1..3/);
  });

  test('a receiver trims resent bytes and refuses a gap', () => {
    const cursor = new ReceiveCursor(0);
    expect(cursor.accept(0, Buffer.from('abc'))?.toString()).toBe('abc');
    expect(cursor.accept(1, Buffer.from('bcde'))?.toString()).toBe('de');
    expect(cursor.accept(0, Buffer.from('abcde'))).toBeUndefined();
    let err: unknown;
    try {
      cursor.accept(9, Buffer.from('x'));
    } catch (e) {
      err = e;
    }
    expect(isGrittyError(err, 'bad-message')).toBe(true);
  });

  test('whatever is lost in flight and however often the link resumes, the receiver gets every byte exactly once', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), data: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant('send' as const), max: fc.integer({ min: 1, max: 50 }), lose: fc.boolean() }),
      fc.record({ kind: fc.constant('ack' as const) }),
      fc.record({ kind: fc.constant('resume' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const sender = new SendWindow(7, 1 << 20);
        const receiver = new ReceiveCursor(7);
        const pushed: Buffer[] = [];
        const got: Buffer[] = [];
        // a link is ordered: once a frame is lost, everything after it is lost until a resume
        let broken = false;
        for (const s of steps) {
          if (s.kind === 'push') {
            sender.push(Buffer.from(s.data));
            pushed.push(Buffer.from(s.data));
          } else if (s.kind === 'send') {
            const chunk = sender.takeUnsent(s.max);
            if (chunk === undefined) continue;
            broken ||= s.lose;
            if (broken) continue;
            const fresh = receiver.accept(chunk.offset, chunk.data);
            if (fresh !== undefined) got.push(Buffer.from(fresh));
          } else if (s.kind === 'ack') {
            sender.ack(Math.min(receiver.received, sender.sent));
          } else {
            sender.rewind(receiver.received);
            broken = false;
          }
        }
        sender.rewind(receiver.received);
        for (let chunk = sender.takeUnsent(64); chunk !== undefined; chunk = sender.takeUnsent(64)) {
          const fresh = receiver.accept(chunk.offset, chunk.data);
          if (fresh !== undefined) got.push(Buffer.from(fresh));
        }
        expect(Buffer.concat(got).equals(Buffer.concat(pushed))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test('with a ring, what was sent stays as pushed until acknowledged, however the ring wraps', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), data: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant('send' as const), max: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ kind: fc.constant('ack' as const), part: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('resume' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.array(step, { maxLength: 200 }), (ringBytes, steps) => {
        const window = new SendWindow(5, 60, ringBytes);
        const pushed: Buffer[] = [];
        // every view handed to the "socket", with what it held then: no byte of it may change
        // before its acknowledgement (an acknowledged byte reached the peer, so the socket
        // has written it and its memory may be reused, even while the rest of its frame waits)
        const onWire: { offset: number; view: Buffer; was: Buffer }[] = [];
        for (const s of steps) {
          if (s.kind === 'push') {
            const data = Buffer.from(s.data);
            window.push(data);
            pushed.push(Buffer.from(data));
            data.fill(0); // the caller reuses its buffer
          } else if (s.kind === 'send') {
            const chunk = window.takeUnsent(s.max);
            if (chunk === undefined) continue;
            const expected = Buffer.concat(pushed).subarray(chunk.offset - 5, chunk.offset - 5 + chunk.data.length);
            expect(chunk.data.equals(expected)).toBe(true);
            onWire.push({ offset: chunk.offset, view: chunk.data, was: Buffer.from(chunk.data) });
          } else if (s.kind === 'ack') {
            window.ack(window.acked + Math.floor((window.sent - window.acked) * s.part));
          } else {
            window.rewind(window.acked);
          }
          for (const frame of onWire) {
            const unacknowledged = Math.max(0, window.acked - frame.offset);
            expect(frame.view.subarray(unacknowledged).equals(frame.was.subarray(unacknowledged))).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('a forwarded stream through a ring-backed window arrives byte-exact', () => {
    const window = new SendWindow(0, 256 * 1024, 320 * 1024);
    const receiver = new ReceiveCursor(0);
    const sent: Buffer[] = [];
    const got: Buffer[] = [];
    for (let read = 0; read < 200; read++) {
      const chunk = Buffer.alloc(1000 + ((read * 7919) % 64_000), read);
      sent.push(Buffer.from(chunk));
      window.push(chunk);
      chunk.fill(0xee);
      for (let frame = window.takeUnsent(32 * 1024); frame !== undefined; frame = window.takeUnsent(32 * 1024)) {
        got.push(Buffer.from(receiver.accept(frame.offset, frame.data)!));
      }
      if (window.space <= 0) window.ack(window.sent);
    }
    expect(Buffer.concat(got).equals(Buffer.concat(sent))).toBe(true);
  });
});
