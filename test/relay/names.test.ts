import { describe, expect, test } from 'vitest';
import { isGrittyError } from '../../src/relay/errors.js';
import { MAX_NAME_CHARS } from '../../src/relay/messages.js';
import { checkHostName, checkSessionName } from '../../src/relay/names.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isGrittyError(err) ? err.code : 'not-gritty';
  }
  return undefined;
}

describe('checkSessionName', () => {
  test.each(['work', '0', 'a.b', 'my_session', 'x-1', 'c++', 'me@box', 'A'.repeat(MAX_NAME_CHARS)])('accepts %j', (name) => {
    expect(checkSessionName(name)).toBe(name);
  });

  test.each([
    ['an empty name', ''],
    ['a name with a space', 'my session'],
    ['a name with a colon', 'a:b'],
    ['a name with a slash', 'a/b'],
    ['a name with a control character', 'a\x07b'],
    ['a name with a newline', 'a\nb'],
    ['a name with an escape', '\x1b[31m'],
    ['a leading dash', '-x'],
    ['the bare dash', '-'],
    ['a leading dot', '.hidden'],
    ['non-ASCII letters', 'café'],
    ['a name one over the limit', 'a'.repeat(MAX_NAME_CHARS + 1)],
  ])('refuses %s with invalid-name', (_what, name) => {
    expect(codeOf(() => checkSessionName(name))).toBe('invalid-name');
  });

  test('says what characters are allowed', () => {
    expect(() => checkSessionName('a b')).toThrow(/letters, digits/);
  });

  test('says that a name cannot be empty', () => {
    expect(() => checkSessionName('')).toThrow(/empty/);
  });
});

describe('checkHostName', () => {
  test.each(['local', 'box', 'dev.example.com', 'my_host-2'])('accepts %j', (name) => {
    expect(checkHostName(name)).toBe(name);
  });

  test.each(['', '-oProxyCommand=x', '.x', 'a b', 'a:b', 'user@host', 'h\x00'])('refuses %j with invalid-name', (name) => {
    expect(codeOf(() => checkHostName(name))).toBe('invalid-name');
  });
});
