import { describe, expect, test } from 'vitest';
import { Liveness, ReconnectFailures, SERVER_GONE_ATTEMPTS, backoffDelay } from '../../src/client/reconnect.js';
import { GrittyError } from '../../src/relay/errors.js';

describe('backoffDelay', () => {
  test('retries at once first, then waits longer each attempt', () => {
    expect(backoffDelay(0)).toBe(0);
    for (let attempt = 1; attempt < 7; attempt++) expect(backoffDelay(attempt)).toBeGreaterThan(backoffDelay(attempt - 1));
  });

  test('retries quickly for a blip: the first three retries start within a second in total', () => {
    expect(backoffDelay(1) + backoffDelay(2) + backoffDelay(3)).toBeLessThan(1_000);
  });

  test('caps the delay so a long outage is noticed within a few seconds of ending', () => {
    const cap = backoffDelay(6);
    expect(cap).toBeLessThanOrEqual(5_000);
    for (const attempt of [7, 10, 100, 1_000_000]) expect(backoffDelay(attempt)).toBe(cap);
  });
});

describe('Liveness', () => {
  const INTERVAL = 5_000;
  const TIMEOUT = 15_000;
  const T0 = 1_700_000_000_000;

  test('is ok right after connecting', () => {
    expect(new Liveness(INTERVAL, TIMEOUT, T0).check(T0 + 10)).toBe('ok');
  });

  test('asks for a ping once nothing was sent for the interval', () => {
    const live = new Liveness(INTERVAL, TIMEOUT, T0);
    live.heard(T0 + 4_000);
    expect(live.check(T0 + 4_999)).toBe('ok');
    expect(live.check(T0 + 5_000)).toBe('ping');
  });

  test('asks for a ping once nothing was heard for the interval, even while sending', () => {
    const live = new Liveness(INTERVAL, TIMEOUT, T0);
    live.sent(T0 + 5_500);
    expect(live.check(T0 + 5_600)).toBe('ping');
  });

  test('stays ok while traffic flows both ways', () => {
    const live = new Liveness(INTERVAL, TIMEOUT, T0);
    for (let t = T0; t < T0 + 60_000; t += 1_000) {
      live.sent(t);
      live.heard(t);
      expect(live.check(t + 500)).toBe('ok');
    }
  });

  test('declares the link dead once nothing was heard for longer than the timeout', () => {
    const live = new Liveness(INTERVAL, TIMEOUT, T0);
    live.heard(T0 + 1_000);
    live.sent(T0 + 14_000);
    expect(live.check(T0 + 16_000)).toBe('ping');
    expect(live.check(T0 + 16_001)).toBe('dead');
  });

  test('is dead at the first tick after a wall-clock jump such as a laptop waking from sleep', () => {
    const live = new Liveness(INTERVAL, TIMEOUT, T0);
    live.heard(T0 + 1_000);
    live.sent(T0 + 1_000);
    expect(live.check(T0 + 2_000)).toBe('ok');
    // the next tick runs an hour later by the wall clock
    expect(live.check(T0 + 3_600_000)).toBe('dead');
  });

  test('comes back to ok when a reply is heard after a ping', () => {
    const live = new Liveness(INTERVAL, TIMEOUT, T0);
    expect(live.check(T0 + 6_000)).toBe('ping');
    live.sent(T0 + 6_000);
    live.heard(T0 + 6_050);
    expect(live.check(T0 + 7_000)).toBe('ok');
  });
});

describe('ReconnectFailures', () => {
  const lost = new GrittyError('connection-lost', 'x');
  const gone = new GrittyError('server-gone', 'x');
  const refused = new GrittyError('no-server', 'x');

  test('retries a lost link and a timeout, wherever the daemon is', () => {
    for (const local of [true, false]) {
      const failures = new ReconnectFailures(local);
      expect(failures.judge(lost)).toBe('retry');
      expect(failures.judge(new GrittyError('timeout', 'x'))).toBe('retry');
    }
  });

  test('gives up at once on a local daemon that no longer answers', () => {
    expect(new ReconnectFailures(true).judge(refused)).toBe('give-up');
    expect(new ReconnectFailures(true).judge(gone)).toBe('give-up');
  });

  test('keeps retrying a tunnel that refuses (ssh respawning) but not one that keeps dropping unanswered', () => {
    const failures = new ReconnectFailures(false);
    for (let i = 0; i < 10; i++) expect(failures.judge(refused)).toBe('retry');
    for (let i = 1; i < SERVER_GONE_ATTEMPTS; i++) expect(failures.judge(gone)).toBe('retry');
    expect(failures.judge(gone)).toBe('give-up');
  });

  test('an answered attempt between drops starts the count over', () => {
    const failures = new ReconnectFailures(false);
    for (let i = 1; i < SERVER_GONE_ATTEMPTS; i++) failures.judge(gone);
    expect(failures.judge(lost)).toBe('retry');
    expect(failures.judge(gone)).toBe('retry');
  });

  test('a refused attempt between drops (the tunnel being replaced) neither breaks the row nor adds to it', () => {
    const failures = new ReconnectFailures(false);
    expect(failures.judge(gone)).toBe('retry');
    for (let i = 0; i < 10; i++) expect(failures.judge(refused)).toBe('retry');
    for (let i = 2; i < SERVER_GONE_ATTEMPTS; i++) expect(failures.judge(gone)).toBe('retry');
    expect(failures.judge(gone)).toBe('give-up');
  });

  test('gives up on errors that say the session itself is gone or refused', () => {
    expect(new ReconnectFailures(false).judge(new GrittyError('no-such-session', 'x'))).toBe('give-up');
    expect(new ReconnectFailures(false).judge(new GrittyError('taken-over', 'x'))).toBe('give-up');
  });
});
