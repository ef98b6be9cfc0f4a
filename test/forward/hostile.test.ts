import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { laptopForwarding, type LaptopForwarding } from '../../src/forward/laptop.js';
import { SWITCHES_ON } from '../../src/forward/policy.js';
import { isGrittyError } from '../../src/relay/errors.js';
import { isPrintable } from '../../src/relay/printable.js';
import type { ChannelParams } from '../../src/forward/seam.js';

/**
 * A hostile session opening channels into the laptop with arbitrary kinds and params.
 * Whatever it sends, the laptop either accepts something valid or refuses with
 * channel-refused and a printable reason; it never throws anything else, never
 * accepts an invalid port or a non-http URL, and logs every refusal.
 */
const log: string[] = [];
let laptop: LaptopForwarding;
/** The laptop's clock: frozen unless a test moves it past the rate limit on purpose. */
let clock = 0;
const HOUR_MS = 3_600_000;

beforeAll(() => {
  laptop = laptopForwarding({
    switches: SWITCHES_ON,
    agentSocket: undefined,
    openCommand: 'true',
    oauth: { flowMs: 1_000, idleMs: 1_000 },
    open: () => Promise.reject(new Error('the laptop opens nothing in this test')),
    log: (line) => log.push(line),
    now: () => clock,
  });
});

afterAll(() => laptop.close());

const value = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(0, -1, 65_536, 1e100, Number.NaN, '80', '', 'x'.repeat(100_000)),
);
const params = fc.dictionary(fc.constantFrom('url', 'target', 'listen', 'port', '__proto__', 'constructor', 'x'), value) as fc.Arbitrary<ChannelParams>;

async function outcome(kind: string, p: ChannelParams): Promise<'accepted' | string> {
  try {
    await laptop.accept(kind, p);
    return 'accepted';
  } catch (err) {
    expect(isGrittyError(err, 'channel-refused'), String(err)).toBe(true);
    const message = (err as Error).message;
    expect(isPrintable(message), message).toBe(true);
    expect(message.length).toBeLessThan(600);
    return message;
  }
}

describe('a hostile session', () => {
  // the clock stays frozen here, so valid-looking rf-listen ports bind at most a burst's worth
  test('any kind name, any params: refused cleanly unless it is a known kind with valid params', async () => {
    const kind = fc.oneof(fc.constantFrom('agent', 'open-url', 'lf-conn', 'rf-listen', 'oauth-callback', 'rf-conn', '__proto__', 'toString', ''), fc.string({ unit: 'binary', maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(kind, params, async (k, p) => {
        const logged = log.length;
        const result = await outcome(k, p);
        if (result !== 'accepted') expect(log.length).toBe(logged + 1);
        if (result === 'accepted') expect(['open-url', 'lf-conn', 'rf-listen']).toContain(k);
      }),
      { numRuns: 300 },
    );
  });

  test('rf-listen and lf-conn with any port that is not 1-65535 are refused, naming the field', async () => {
    const badPort = fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65_536 }), fc.double().filter((d) => !Number.isInteger(d)), fc.string(), fc.boolean());
    await fc.assert(
      fc.asyncProperty(badPort, fc.constantFrom('rf-listen', 'lf-conn'), async (port, kind) => {
        clock += HOUR_MS;
        const result = await outcome(kind, { listen: port, target: port } as ChannelParams);
        expect(result).toMatch(/^bad channel params: field (listen|target): expected a port 1-65535/);
      }),
      { numRuns: 300 },
    );
  });

  test('open-url accepts only http and https URLs without control characters or credentials', async () => {
    const url = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.tuple(fc.constantFrom('javascript:', 'file:', 'data:', 'ftp:', 'ssh:', 'vscode:', 'HTTP:', 'https:', ' https:', 'http:\t'), fc.string({ maxLength: 60 })).map(([scheme, rest]) => `${scheme}${rest}`),
    );
    await fc.assert(
      fc.asyncProperty(url, async (u) => {
        clock += HOUR_MS;
        const result = await outcome('open-url', { url: u });
        if (result !== 'accepted') return;
        const parsed = new URL(u);
        expect(['http:', 'https:']).toContain(parsed.protocol);
        expect(isPrintable(u)).toBe(true);
        expect(parsed.username + parsed.password).toBe('');
      }),
      { numRuns: 200 },
    );
  });
});
