import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RateLimits, TokenBucket } from '../../src/forward/rate-limit.js';
import { POLICY } from '../../src/forward/policy.js';

describe('TokenBucket', () => {
  const limit = { burst: 3, opens: 1, perMs: 1_000 };

  test('allows a burst, then refuses until a token has refilled', () => {
    const bucket = new TokenBucket(limit, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true]);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.waitMs()).toBe(1_000);
    expect(bucket.take(999)).toBe(false);
    expect(bucket.take(1_000)).toBe(true);
    expect(bucket.take(1_000)).toBe(false);
  });

  test('refills no further than the burst after a long quiet spell', () => {
    const bucket = new TokenBucket(limit, 0);
    for (let i = 0; i < 3; i++) bucket.take(0);
    const after = Array.from({ length: 5 }, () => bucket.take(1_000_000));
    expect(after).toEqual([true, true, true, false, false]);
  });

  test('a clock that steps back mints no tokens', () => {
    const bucket = new TokenBucket(limit, 10_000);
    for (let i = 0; i < 3; i++) bucket.take(10_000);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(10_500)).toBe(false);
    expect(bucket.take(11_000)).toBe(true);
  });

  test('never grants more than burst + elapsed × rate, whatever the sequence of times', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 200 }), (steps) => {
        const bucket = new TokenBucket(limit, 0);
        let now = 0;
        let granted = 0;
        for (const step of steps) {
          now += step;
          if (bucket.take(now)) granted++;
        }
        expect(granted).toBeLessThanOrEqual(limit.burst + Math.floor((now * limit.opens) / limit.perMs));
      }),
    );
  });
});

test('RateLimits keeps one bucket per kind, at the rate the policy table sets', () => {
  const limits = new RateLimits(0);
  const burst = POLICY['open-url'].rate.burst;
  const granted = Array.from({ length: burst + 1 }, () => limits.bucket('open-url').take(0));
  expect(granted.filter(Boolean)).toHaveLength(burst);
  expect(limits.bucket('agent').take(0)).toBe(true);
});
