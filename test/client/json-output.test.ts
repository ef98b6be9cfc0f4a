import { expect, test } from 'vitest';
import { jsonForTerminal } from '../../src/client/json-output.js';

test('JSON for a terminal escapes what JSON.stringify leaves raw, and reads back the same', () => {
  const value = { name: 'a\x1b[31m\x7f\u009b2J\u2028\u2029b', ok: 'naïve ✓' };
  const text = jsonForTerminal(value);
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]/);
  expect(text).toContain('\\u009b');
  expect(JSON.parse(text)).toEqual(value);
});
