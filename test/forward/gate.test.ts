import { describe, expect, test } from 'vitest';
import { gate } from '../../src/forward/gate.js';
import { CHANNEL_KINDS, POLICY, SWITCHES_ON, acceptorOf, type Switches } from '../../src/forward/policy.js';
import { RateLimits } from '../../src/forward/rate-limit.js';

const laptop = (switches: Partial<Switches> = {}) => ({ side: 'laptop' as const, switches: { ...SWITCHES_ON, ...switches } });

describe('the policy table', () => {
  test('names the kinds the forwarding issue asks for, each opened by the side it says', () => {
    expect(Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, POLICY[kind].opener]))).toEqual({
      agent: 'session',
      'open-url': 'session',
      'oauth-callback': 'laptop',
      'lf-conn': 'session',
      'rf-listen': 'session',
      'rf-conn': 'laptop',
      transfer: 'session',
    });
  });

  test('every kind is switched by a laptop switch and rate-limited; only transfer, which moves nothing until a person runs its laptop half, has no switch', () => {
    expect(CHANNEL_KINDS.filter((kind) => POLICY[kind].switches.length === 0)).toEqual(['transfer']);
    for (const kind of CHANNEL_KINDS) {
      expect(POLICY[kind].rate.burst, kind).toBeGreaterThanOrEqual(1);
      expect(POLICY[kind].rate.opens / POLICY[kind].rate.perMs, kind).toBeGreaterThan(0);
    }
  });
});

describe('gate', () => {
  test('lets the laptop accept what the session may open', () => {
    for (const kind of CHANNEL_KINDS.filter((k) => acceptorOf(k) === 'laptop')) {
      expect(gate(kind, laptop(), new RateLimits(0), 0)).toEqual({ ok: true, kind });
    }
  });

  test('refuses a kind opened by the wrong side, on either side', () => {
    expect(gate('oauth-callback', laptop(), new RateLimits(0), 0)).toEqual({ ok: false, reason: expect.stringMatching(/only be opened by the laptop/) });
    expect(gate('rf-conn', laptop(), new RateLimits(0), 0)).toMatchObject({ ok: false });
    expect(gate('agent', { side: 'session' }, new RateLimits(0), 0)).toEqual({ ok: false, reason: expect.stringMatching(/only be opened by the session/) });
    expect(gate('rf-conn', { side: 'session' }, new RateLimits(0), 0)).toEqual({ ok: true, kind: 'rf-conn' });
  });

  test('refuses an unknown kind, naming it harmlessly', () => {
    const verdict = gate('\x1b]0;pwned\x07__proto__', laptop(), new RateLimits(0), 0);
    expect(verdict).toEqual({ ok: false, reason: 'unknown channel kind "\\e]0;pwned\\x07__proto__"' });
    expect(gate('toString', laptop(), new RateLimits(0), 0)).toMatchObject({ ok: false });
    expect(gate('constructor', { side: 'session' }, new RateLimits(0), 0)).toMatchObject({ ok: false });
  });

  test.each([
    ['agent', 'forward-agent'],
    ['open-url', 'forward-open'],
    ['lf-conn', 'forward-ports'],
    ['rf-listen', 'forward-ports'],
  ] as const)('refuses %s when %s is off, saying how to turn it on', (kind, name) => {
    const verdict = gate(kind, laptop({ [name]: false }), new RateLimits(0), 0);
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining(`${name} is off on the laptop`) });
  });

  test('refuses past the rate limit, saying when to try again, and allows again after a refill', () => {
    const limits = new RateLimits(0);
    const { burst, perMs, opens } = POLICY['open-url'].rate;
    for (let i = 0; i < burst; i++) expect(gate('open-url', laptop(), limits, 0).ok).toBe(true);
    expect(gate('open-url', laptop(), limits, 0)).toEqual({ ok: false, reason: expect.stringMatching(/too many open-url channels .* try again in 5 s/) });
    expect(gate('open-url', laptop(), limits, perMs / opens).ok).toBe(true);
  });

  test('a switched-off kind spends no rate-limit token', () => {
    const limits = new RateLimits(0);
    for (let i = 0; i < 100; i++) gate('open-url', laptop({ 'forward-open': false }), limits, 0);
    expect(gate('open-url', laptop(), limits, 0).ok).toBe(true);
  });
});
