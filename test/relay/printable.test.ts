import { describe, expect, test } from 'vitest';
import { isPrintable, printable } from '../../src/relay/printable.js';

describe('printable', () => {
  test('escapes the hostile client name from the probe so it cannot clear, retitle or recolour a terminal', () => {
    const evil = 'evil\x1b[2J\x1b]0;PWNED\x07\x1b[31mRED\nFAKE 2026-01-01 forged log line';
    const shown = printable(evil);
    expect(shown).toBe('evil\\e[2J\\e]0;PWNED\\x07\\e[31mRED\\nFAKE 2026-01-01 forged log line');
    expect(isPrintable(shown)).toBe(true);
    expect(isPrintable(evil)).toBe(false);
  });

  test('escapes C1 controls, DEL and the Unicode line separators, and leaves other text alone', () => {
    expect(printable('a\u009bb\u007fc\u2028d\u2029')).toBe('a\\x9bb\\x7fc\\u2028d\\u2029');
    expect(printable('naïve café ✓ 日本')).toBe('naïve café ✓ 日本');
  });
});
