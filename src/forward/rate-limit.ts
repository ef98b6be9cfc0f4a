import { CHANNEL_KINDS, POLICY, type ChannelKind, type RateLimit } from './policy.js';

/**
 * A token bucket, driven by the caller's clock so it is deterministic: `take(now)`
 * spends one token if there is one. Tokens refill continuously at opens/perMs up to
 * `burst`.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly limit: RateLimit,
    nowMs: number,
  ) {
    this.tokens = limit.burst;
    this.lastMs = nowMs;
  }

  take(nowMs: number): boolean {
    // a clock that steps back (NTP) must neither mint nor lose tokens
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.lastMs = Math.max(this.lastMs, nowMs);
    this.tokens = Math.min(this.limit.burst, this.tokens + (elapsed * this.limit.opens) / this.limit.perMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token, for the refusal message. */
  waitMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * this.limit.perMs) / this.limit.opens);
  }
}

/** One bucket per channel kind, as the policy table sets them. One per attached laptop. */
export class RateLimits {
  private readonly buckets: Record<ChannelKind, TokenBucket>;

  constructor(nowMs: number) {
    this.buckets = Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, new TokenBucket(POLICY[kind].rate, nowMs)])) as Record<ChannelKind, TokenBucket>;
  }

  bucket(kind: ChannelKind): TokenBucket {
    return this.buckets[kind];
  }
}
