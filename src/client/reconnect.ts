import { isGrittyError } from '../relay/errors.js';

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

/**
 * A tunnel whose ssh accepts but drops every connection unanswered forwards to a
 * daemon that is gone; after this many such attempts in a row (about a second of
 * backoff) the client says so instead of retrying forever.
 */
export const SERVER_GONE_ATTEMPTS = 4;

/**
 * Whether a failed reconnect attempt is worth another: yes when the link failed (a
 * lost connection, a timeout, a tunnel still respawning), no when the session or its
 * daemon is gone. A local daemon that does not answer is gone at once; behind a
 * tunnel it takes SERVER_GONE_ATTEMPTS unanswered connections in a row.
 */
export class ReconnectFailures {
  private goneInARow = 0;

  constructor(private readonly local: boolean) {}

  judge(err: unknown): 'retry' | 'give-up' {
    this.goneInARow = isGrittyError(err, 'server-gone') ? this.goneInARow + 1 : 0;
    if (!isGrittyError(err)) return 'give-up';
    switch (err.code) {
      case 'connection-lost':
      case 'timeout':
        return 'retry';
      case 'no-server':
      case 'server-gone':
        return this.local || this.goneInARow >= SERVER_GONE_ATTEMPTS ? 'give-up' : 'retry';
      default:
        return 'give-up';
    }
  }
}
