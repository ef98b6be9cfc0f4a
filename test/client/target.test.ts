import { describe, expect, test } from 'vitest';
import { formatTarget, parseTarget } from '../../src/client/target.js';
import { isGrittyError } from '../../src/relay/errors.js';

function refusal(text: string): { code: string; message: string } {
  try {
    parseTarget(text);
  } catch (err) {
    if (isGrittyError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error(`parseTarget accepted ${JSON.stringify(text)}`);
}

describe('parseTarget', () => {
  test.each([
    ['local:work', { host: 'local', session: 'work' }],
    ['box:0', { host: 'box', session: '0' }],
    ['dev.example.com:my_session', { host: 'dev.example.com', session: 'my_session' }],
    ['local', { host: 'local', session: undefined }],
    ['box', { host: 'box', session: undefined }],
    ['-', { host: 'local', session: '-' }],
    ['box:-', { host: 'box', session: '-' }],
  ])('reads %j', (text, expected) => {
    expect(parseTarget(text)).toEqual(expected);
  });

  test('refuses an empty host before the colon, suggesting local:NAME', () => {
    const err = refusal(':work');
    expect(err.code).toBe('bad-target');
    expect(err.message).toContain('local:work');
  });

  test('refuses an empty session after the colon, suggesting the host alone', () => {
    const err = refusal('box:');
    expect(err.code).toBe('bad-target');
    expect(err.message).toMatch(/box alone/);
  });

  test.each([
    ['a session with a space', 'local:my session'],
    ['a session with a second colon', 'local:a:b'],
    ['a session with a control character', 'local:a\x01'],
    ['a session starting with a dash', 'local:-x'],
    ['a session starting with a dot', 'local:.x'],
    ['a host that looks like an ssh option', '-oProxyCommand=x:work'],
    ['a host with a space', 'my box:work'],
    ['an empty string', ''],
  ])('refuses %s with invalid-name', (_what, text) => {
    expect(refusal(text).code).toBe('invalid-name');
  });
});

describe('formatTarget', () => {
  test('writes host:session, which parseTarget reads back', () => {
    expect(formatTarget('box', 'work')).toBe('box:work');
    expect(parseTarget(formatTarget('box', 'work'))).toEqual({ host: 'box', session: 'work' });
  });
});
