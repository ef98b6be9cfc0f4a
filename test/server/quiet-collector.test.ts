import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { QuietCollector } from '../../src/server/quiet-collector.js';

const QUIET = 1_000;
const GROWTH = 1_000_000;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A collector over a pretend heap: `grow` allocates, a collection frees down to `live`. */
function setup() {
  const state = { heap: 5_000_000, live: 5_000_000, activity: -Infinity };
  const collections: { before: number; after: number }[] = [];
  const collector = new QuietCollector({
    quietMs: QUIET,
    minGrowthBytes: GROWTH,
    lastActivity: () => state.activity,
    heapUsed: () => state.heap,
    collect: () => (state.heap = state.live),
    collected: (before, after) => collections.push({ before, after }),
  });
  const grow = (bytes: number) => (state.heap += bytes);
  /** The first collection, which start-up's garbage always earns, out of the way. */
  const pastStartup = () => {
    collector.arm();
    vi.advanceTimersByTime(2 * QUIET);
    collections.length = 0;
  };
  return { state, collections, collector, grow, pastStartup };
}

test("the first quiet moment collects whatever the growth: start-up's garbage", () => {
  const { state, collections, collector } = setup();
  state.live = 4_500_000;
  collector.arm();
  vi.advanceTimersByTime(QUIET);
  expect(collections).toEqual([{ before: 5_000_000, after: 4_500_000 }]);
});

test('collects once a burst of requests has been quiet for the quiet time', () => {
  const { collections, collector, grow, pastStartup } = setup();
  pastStartup();
  for (let i = 0; i < 10; i++) {
    grow(300_000);
    collector.arm();
    vi.advanceTimersByTime(QUIET / 2);
  }
  expect(collections).toEqual([]);
  vi.advanceTimersByTime(QUIET / 2);
  expect(collections).toEqual([{ before: 8_000_000, after: 5_000_000 }]);
  vi.advanceTimersByTime(10 * QUIET);
  expect(collections).toHaveLength(1);
});

test('keystrokes and output put the collection off until they stop', () => {
  const { state, collections, collector, grow } = setup();
  grow(2 * GROWTH);
  collector.arm();
  for (let i = 0; i < 20; i++) {
    vi.advanceTimersByTime(QUIET / 4);
    state.activity = Date.now();
  }
  expect(collections).toEqual([]);
  vi.advanceTimersByTime(QUIET);
  expect(collections).toHaveLength(1);
});

test('leaves a heap that grew less than the threshold to V8, and counts its growth towards the next', () => {
  const { collections, collector, grow, pastStartup } = setup();
  pastStartup();
  grow(GROWTH / 2);
  collector.arm();
  vi.advanceTimersByTime(2 * QUIET);
  expect(collections).toEqual([]);
  grow(GROWTH / 2);
  collector.arm();
  vi.advanceTimersByTime(2 * QUIET);
  expect(collections).toEqual([{ before: 6_000_000, after: 5_000_000 }]);
});

test('collects once quiet after sessions were made or ended, however little the heap grew', () => {
  const { collections, collector, grow, pastStartup } = setup();
  pastStartup();
  grow(GROWTH / 10);
  collector.armForSessions();
  vi.advanceTimersByTime(2 * QUIET);
  expect(collections).toEqual([{ before: 5_100_000, after: 5_000_000 }]);
  grow(GROWTH / 10);
  collector.arm();
  vi.advanceTimersByTime(2 * QUIET);
  expect(collections).toHaveLength(1);
});

test('measures growth from where V8 itself left the heap, not from a higher mark', () => {
  const { state, collections, collector, grow, pastStartup } = setup();
  pastStartup();
  state.heap = state.live = 3_000_000;
  collector.arm();
  vi.advanceTimersByTime(2 * QUIET);
  expect(collections).toEqual([]);
  grow(GROWTH);
  collector.arm();
  vi.advanceTimersByTime(2 * QUIET);
  expect(collections).toEqual([{ before: 4_000_000, after: 3_000_000 }]);
});

test('never collects after stop', () => {
  const { collections, collector, grow } = setup();
  grow(2 * GROWTH);
  collector.arm();
  collector.stop();
  vi.advanceTimersByTime(10 * QUIET);
  expect(collections).toEqual([]);
});
