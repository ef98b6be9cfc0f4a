/** Tables fit a plain terminal: this many columns, whatever the terminal's width. */
export const TABLE_WIDTH = 80;
/** A column is never cut below this many characters, so a cut value is still recognisable. */
const MIN_COLUMN = 8;
const GAP = '  ';

/**
 * Lays out rows (the first is the header) in columns that fit TABLE_WIDTH: the widest
 * column is cut, with an ellipsis, until the table fits or every column is at its minimum.
 */
export function formatColumns(rows: string[][], width = TABLE_WIDTH): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= MIN_COLUMN) break;
    widths[widest]! -= 1;
  }
  const cell = (text: string, w: number): string => {
    const chars = [...text];
    return chars.length > w ? `${chars.slice(0, w - 1).join('')}…` : text.padEnd(w);
  };
  return rows.map((r) => r.map((c, i) => cell(c, widths[i]!)).join(GAP).trimEnd()).join('\n') + '\n';
}

/** A time as people scan a list: the clock time today, else the date. */
export function shortTime(epochMs: number, now: number): string {
  const d = new Date(epochMs);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return sameDay ? `${pad(d.getHours())}:${pad(d.getMinutes())}` : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
