import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { OutputPump } from '../../src/server/output-pump.js';
import { LAG_HIGH_BYTES, LAG_LOW_BYTES, ReadGate, STALL_MS } from '../../src/server/read-gate.js';
import { RingBuffer } from '../../src/server/ring-buffer.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(capacity = 1 << 20) {
  const calls: string[] = [];
  const pty = { pause: () => calls.push('pause'), resume: () => calls.push('resume') };
  const ring = new RingBuffer(capacity);
  const gate = new ReadGate(pty, ring);
  const client = { offset: 0 };
  const pump = client as unknown as OutputPump;
  const write = (bytes: number): void => ring.append(Buffer.alloc(bytes));
  return { calls, ring, gate, client, pump, write };
}

test('pauses above the high mark and resumes only below the low mark', () => {
  const { calls, gate, client, pump, write } = setup();
  write(LAG_HIGH_BYTES);
  gate.update(pump);
  expect(calls).toEqual([]);
  write(1);
  gate.update(pump);
  expect(calls).toEqual(['pause']);
  client.offset = LAG_HIGH_BYTES + 1 - LAG_LOW_BYTES;
  gate.update(pump);
  expect(calls).toEqual(['pause']);
  client.offset += 1;
  gate.update(pump);
  expect(calls).toEqual(['pause', 'resume']);
});

test('a client that keeps taking output keeps the PTY paused past the stall limit', () => {
  const { calls, gate, client, pump, write } = setup();
  write(LAG_HIGH_BYTES + 1);
  gate.update(pump);
  for (let i = 1; i <= 5; i++) {
    vi.advanceTimersByTime(STALL_MS / 2);
    client.offset = i;
    gate.update(pump);
  }
  expect(calls).toEqual(['pause']);
});

test('a client that takes nothing for the stall limit is given up on until it has caught up', () => {
  const { calls, gate, client, pump, write } = setup();
  write(LAG_HIGH_BYTES + 1);
  gate.update(pump);
  vi.advanceTimersByTime(2 * STALL_MS);
  expect(calls).toEqual(['pause', 'resume']);
  write(4 * LAG_HIGH_BYTES);
  gate.update(pump);
  expect(calls).toEqual(['pause', 'resume']);
  // after its repaint it is close to the head again and is held to the marks once more
  client.offset = 5 * LAG_HIGH_BYTES;
  gate.update(pump);
  write(LAG_HIGH_BYTES + 1);
  gate.update(pump);
  expect(calls).toEqual(['pause', 'resume', 'pause']);
});

test('the PTY reads on when the client goes or the program ends', () => {
  const { calls, gate, pump, write } = setup();
  write(LAG_HIGH_BYTES + 1);
  gate.update(pump);
  gate.update(undefined);
  expect(calls).toEqual(['pause', 'resume']);
  gate.update(pump);
  gate.close();
  expect(calls).toEqual(['pause', 'resume', 'pause', 'resume']);
  vi.advanceTimersByTime(2 * STALL_MS);
  expect(calls).toHaveLength(4);
});

test('a ring smaller than four times the high mark scales the marks down, so the client is held before it falls out', () => {
  const { calls, gate, pump, write } = setup(256 * 1024);
  write(64 * 1024 + 1);
  gate.update(pump);
  expect(calls).toEqual(['pause']);
});
