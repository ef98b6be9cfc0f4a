import { isGrittyError } from '../relay/errors.js';

/** Delays between reconnect attempts: quick at first (a blip), then capped so a long outage costs little. */
const BACKOFF_MS = [0, 100, 250, 500, 1_000, 2_000, 3_000];

export function backoffDelay(attempt: number): number {
  return BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
}

/** An outage shorter than this paints nothing at all. */
export const QUIET_OUTAGE_MS = 1_000;

/**
 * While typed input waits this long for its acknowledgement, the link is probed with a
 * ping: a silent network shows while the user types, not a heartbeat timeout later.
 */
export const PROBE_AFTER_MS = 2_000;
/** A probe that hears nothing at all back within this long declares the link dead. */
export const PROBE_TIMEOUT_MS = 3_000;

export type LivenessVerdict = 'dead' | 'probe' | 'ping' | 'ok';

/**
 * Link liveness judged on the wall clock: dead when nothing arrived for the timeout,
 * so a laptop waking from sleep notices at its first tick rather than a timeout later.
 * While input is unacknowledged the link is probed sooner, and a probe answered by
 * nothing at all ends it: typing into a dead link is noticed within seconds. An idle
 * link keeps the heartbeat timeout.
 */
export class Liveness {
  private lastHeard: number;
  private lastSent: number;
  private inputWaitingSince: number | undefined;
  private probeSentAt: number | undefined;

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

  /** Input went out; until `inputSettled`, the link owes an acknowledgement. */
  inputSent(now: number): void {
    this.lastSent = now;
    this.inputWaitingSince ??= now;
  }

  /** An acknowledgement came: all input is acknowledged, or some, which restarts the wait. */
  inputSettled(allAcknowledged: boolean, now: number): void {
    this.inputWaitingSince = allAcknowledged ? undefined : now;
  }

  probed(now: number): void {
    this.lastSent = now;
    this.probeSentAt = now;
  }

  /** A pong: the link works both ways. */
  ponged(now: number): void {
    this.lastHeard = now;
    this.probeSentAt = undefined;
    if (this.inputWaitingSince !== undefined) this.inputWaitingSince = now;
  }

  /** What to do at a tick: declare the link dead, probe it, ping, or nothing. */
  check(now: number): LivenessVerdict {
    if (now - this.lastHeard > this.timeoutMs) return 'dead';
    if (this.probeSentAt !== undefined) {
      return now - this.probeSentAt >= PROBE_TIMEOUT_MS && this.lastHeard < this.probeSentAt ? 'dead' : 'ok';
    }
    if (this.inputWaitingSince !== undefined && now - this.inputWaitingSince >= PROBE_AFTER_MS) return 'probe';
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
 * tunnel it takes SERVER_GONE_ATTEMPTS unanswered connections in a row. A tunnel
 * that refuses (its ssh being replaced, as the client asks when the link drops)
 * neither breaks that row nor adds to it: the attempt never reached the host.
 */
export class ReconnectFailures {
  private goneInARow = 0;

  constructor(private readonly local: boolean) {}

  judge(err: unknown): 'retry' | 'give-up' {
    if (!isGrittyError(err)) return 'give-up';
    switch (err.code) {
      case 'connection-lost':
      case 'timeout':
        this.goneInARow = 0;
        return 'retry';
      case 'no-server':
        return this.local ? 'give-up' : 'retry';
      case 'server-gone':
        this.goneInARow++;
        return this.local || this.goneInARow >= SERVER_GONE_ATTEMPTS ? 'give-up' : 'retry';
      default:
        return 'give-up';
    }
  }
}
