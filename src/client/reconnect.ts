/** Delays between reconnect attempts: quick at first (a blip), then capped so a long outage costs little. */
const BACKOFF_MS = [0, 100, 250, 500, 1_000, 2_000, 3_000];

export function backoffDelay(attempt: number): number {
  return BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
}

/** An outage shorter than this paints nothing at all. */
export const QUIET_OUTAGE_MS = 1_000;

/**
 * Link liveness judged on the wall clock: dead when nothing arrived for the timeout,
 * so a laptop waking from sleep notices at its first tick rather than a timeout later.
 */
export class Liveness {
  private lastHeard: number;
  private lastSent: number;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    now: number,
  ) {
    this.lastHeard = now;
    this.lastSent = now;
  }

  heard(now: number): void {
    this.lastHeard = now;
  }

  sent(now: number): void {
    this.lastSent = now;
  }

  /** What to do at a tick: declare the link dead, ping, or nothing. */
  check(now: number): 'dead' | 'ping' | 'ok' {
    if (now - this.lastHeard > this.timeoutMs) return 'dead';
    if (now - this.lastSent >= this.intervalMs || now - this.lastHeard >= this.intervalMs) return 'ping';
    return 'ok';
  }
}
