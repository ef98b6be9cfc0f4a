import { describe, expect, test } from 'vitest';
import { StatusLine, type StatusTerminal } from '../../src/client/status-line.js';

function terminal(): StatusTerminal & { written: string } {
  const t = {
    written: '',
    size: { cols: 40, rows: 10 },
    write(data: string | Buffer) {
      t.written += data.toString();
    },
  };
  return t;
}

describe('StatusLine', () => {
  test('paints one dim line on the bottom row, cut to the width, cursor saved and restored', () => {
    const t = terminal();
    new StatusLine(t, {}).show(`[gritty] ${'x'.repeat(100)}`);
    expect(t.written).toBe(`\x1b7\x1b[10;1H\x1b[2K\x1b[2m[gritty] ${'x'.repeat(30)}\x1b[0m\x1b8`);
  });

  test('with NO_COLOR set the line has no styling', () => {
    const t = terminal();
    new StatusLine(t, { NO_COLOR: '1' }).show('[gritty] reconnecting');
    expect(t.written).toBe('\x1b7\x1b[10;1H\x1b[2K[gritty] reconnecting\x1b[0m\x1b8');
  });
});
