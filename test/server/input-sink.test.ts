import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { INPUT_WINDOW_BYTES } from '../../src/relay/messages.js';
import { ACK_DELAY_MS, InputSink } from '../../src/server/input-sink.js';
import type { Pty } from '../../src/server/pty.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A PTY that takes every byte at once: only what InputSink reads of it. */
function setup() {
  let written = 0;
  const pty = {
    write: (data: Buffer) => (written += data.length),
    get written() {
      return written;
    },
    onWritten: () => {},
  } as unknown as Pty;
  const acks: number[] = [];
  const sink = new InputSink(pty, (offset) => acks.push(offset));
  return { sink, acks };
}

test('input that no output follows is acknowledged on its own once the delay is up', () => {
  const { sink, acks } = setup();
  sink.receive(0, Buffer.from('secret'));
  expect(acks).toEqual([]);
  vi.advanceTimersByTime(ACK_DELAY_MS);
  expect(acks).toEqual([6]);
});

test('an acknowledgement an output frame took is not sent again on its own', () => {
  const { sink, acks } = setup();
  sink.receive(0, Buffer.from('x'));
  expect(sink.takeAck()).toBe(1);
  vi.advanceTimersByTime(ACK_DELAY_MS);
  expect(acks).toEqual([]);
  expect(sink.takeAck()).toBeUndefined();
});

test('input after an echo took the acknowledgement is acknowledged by the timer already running', () => {
  const { sink, acks } = setup();
  sink.receive(0, Buffer.from('x'));
  expect(sink.takeAck()).toBe(1);
  sink.receive(1, Buffer.from('y'));
  vi.advanceTimersByTime(ACK_DELAY_MS);
  expect(acks).toEqual([2]);
});

test('keystrokes whose echoes carry their acknowledgements arm one timer per delay, not one each', () => {
  const { sink } = setup();
  const armed = vi.spyOn(globalThis, 'setTimeout');
  for (let i = 0; i < 10; i++) {
    sink.receive(i, Buffer.from('x'));
    expect(sink.takeAck()).toBe(i + 1);
    vi.advanceTimersByTime(ACK_DELAY_MS / 20);
  }
  expect(armed).toHaveBeenCalledTimes(1);
});

test('half a window of input is acknowledged at once', () => {
  const { sink, acks } = setup();
  sink.receive(0, Buffer.alloc(INPUT_WINDOW_BYTES / 2));
  expect(acks).toEqual([INPUT_WINDOW_BYTES / 2]);
});

test('a resent frame is written once and acknowledged where the input really is', () => {
  const { sink, acks } = setup();
  sink.receive(0, Buffer.from('abc'));
  sink.receive(0, Buffer.from('abcd'));
  vi.advanceTimersByTime(ACK_DELAY_MS);
  expect(acks).toEqual([4]);
  expect(sink.received).toBe(4);
});
