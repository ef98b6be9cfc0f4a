import { describe, expect, test } from 'vitest';
import { port, readParams, text } from '../../src/forward/params.js';
import { isGrittyError } from '../../src/relay/errors.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isGrittyError(err, 'channel-refused')) return err.message;
    throw err;
  }
  throw new Error('not refused');
}

describe('readParams', () => {
  test('reads well-formed params', () => {
    expect(readParams({ target: 5432, extra: 'ignored' }, { target: port() })).toEqual({ target: 5432 });
    expect(readParams({ url: 'https://example.com/' }, { url: text(100) })).toEqual({ url: 'https://example.com/' });
  });

  test.each([0, -1, 65_536, 1.5, Number.NaN, Infinity, '80', true, undefined])('refuses port %s', (value) => {
    expect(refusal(() => readParams({ target: value } as never, { target: port() }))).toMatch(/^bad channel params: field target: expected a port 1-65535/);
  });

  test('refuses text of the wrong type, too long, or with control characters', () => {
    expect(refusal(() => readParams({ url: 42 }, { url: text(10) }))).toMatch(/expected a string, got 42/);
    expect(refusal(() => readParams({ url: 'x'.repeat(11) }, { url: text(10) }))).toMatch(/longer than 10/);
    expect(refusal(() => readParams({ url: 'a\x1b[2Jb' }, { url: text(10) }))).toMatch(/control characters/);
    expect(refusal(() => readParams({}, { url: text(10) }))).toMatch(/got nothing/);
  });

  test('shows a hostile value escaped and cut short in the refusal', () => {
    const message = refusal(() => readParams({ target: `\x1b]52;c;${'A'.repeat(100_000)}` }, { target: port() }));
    expect(message).not.toMatch(/\x1b/);
    expect(message.length).toBeLessThan(200);
  });
});
