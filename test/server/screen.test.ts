import xterm from '@xterm/headless';
import { afterEach, expect, test, vi } from 'vitest';
import { MAX_DATA_BYTES } from '../../src/relay/messages.js';
import { RingBuffer } from '../../src/server/ring-buffer.js';
import { SNAPSHOT_SCROLLBACK_LINES, Screen } from '../../src/server/screen.js';
import { picture } from '../../src/server/screen-picture.js';
import { createEmulator, write, type TestEmulator } from '../helpers/emulator.js';

/**
 * A Screen parses the ring only when it must and keeps a picture in between. Whatever
 * folds and rebuilds happened, its snapshot is what an emulator that read the whole
 * output at once draws.
 */
const RING_BYTES = 1 << 20;
const MAX_CHARS = Math.floor(MAX_DATA_BYTES / 3);
const screens: Screen[] = [];
const emulators: TestEmulator[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const screen of screens.splice(0)) screen.close();
  for (const emu of emulators.splice(0)) emu.term.dispose();
});

function setup(cols: number, rows: number): { ring: RingBuffer; screen: Screen; reference: TestEmulator } {
  const ring = new RingBuffer(RING_BYTES);
  const screen = new Screen(ring, { cols, rows });
  const reference = createEmulator({ cols, rows, scrollback: SNAPSHOT_SCROLLBACK_LINES });
  screens.push(screen);
  emulators.push(reference);
  return { ring, screen, reference };
}

async function output(parts: { ring: RingBuffer; screen: Screen; reference: TestEmulator }, text: string): Promise<void> {
  parts.ring.append(Buffer.from(text, 'utf8'));
  parts.screen.noteOutput();
  await write(parts.reference, text);
}

const STEPS = [
  'prompt$ ls\r\n\x1b[1;34mdir\x1b[0m  file.txt  \x1b[32mscript.sh\x1b[0m\r\nprompt$ ',
  'vim notes\r\n\x1b[?1049h\x1b[?1h\x1b=\x1b[2J\x1b[H# notes\r\n\x1b[7mline two\x1b[0m\r\n~\r\n~\x1b[2;3H\x1b[?25l',
  '\x1b[?25h\x1b[3;1Hinserted \x1b[4mtext\x1b[0m',
  '\x1b[?1l\x1b>\x1b[?1049lprompt$ echo ünïcödé ✓\r\nünïcödé ✓\r\nprompt$ ',
];

test('each snapshot, taken after folds and rebuilds, is the picture of an emulator that read all the output at once', async () => {
  const parts = setup(60, 12);
  for (const step of STEPS) {
    await output(parts, step);
    const shot = await parts.screen.snapshot();
    expect(shot.offset).toBe(parts.ring.end);
    expect(shot.data.toString('utf8')).toBe(picture(parts.reference, SNAPSHOT_SCROLLBACK_LINES, MAX_CHARS));
  }
  // nothing new: the folded picture is given again as it is
  expect((await parts.screen.snapshot()).data.toString('utf8')).toBe(picture(parts.reference, SNAPSHOT_SCROLLBACK_LINES, MAX_CHARS));
});

test('a picture with less scrollback, asked for in between, draws from the same state', async () => {
  const parts = setup(40, 8);
  for (let i = 0; i < 30; i++) await output(parts, `line ${i}\r\n`);
  expect((await parts.screen.snapshot(0)).data.toString('utf8')).toBe(picture(parts.reference, 0, MAX_CHARS));
  await output(parts, 'after\r\n');
  expect((await parts.screen.snapshot()).data.toString('utf8')).toBe(picture(parts.reference, SNAPSHOT_SCROLLBACK_LINES, MAX_CHARS));
});

test('resizes are applied at the output offset where they happened, across folds', async () => {
  const parts = setup(50, 10);
  await output(parts, 'before the resize, a long line that wraps at fifty columns but not at eighty\r\n');
  await parts.screen.snapshot();
  parts.screen.resize(80, 20);
  parts.reference.term.resize(80, 20);
  await output(parts, 'after the resize\r\n');
  const shot = await parts.screen.snapshot();
  expect(shot.data.toString('utf8')).toBe(picture(parts.reference, SNAPSHOT_SCROLLBACK_LINES, MAX_CHARS));
});

test('a flood is not parsed through: its end is on the screen, its middle was skipped', async () => {
  // the ring holds the whole flood, so only the skip (not the ring) can leave lines out
  const ring = new RingBuffer(RING_BYTES);
  const screen = new Screen(ring, { cols: 120, rows: 24 });
  screens.push(screen);
  // 5 550 lines of 100 bytes appended at once: just past half the ring, at far more than 1 MiB/s
  const lines = 5_550;
  const chunk: string[] = [];
  for (let i = 1; i <= lines; i++) {
    chunk.push(`flood line ${String(i).padStart(5, '0')} `.padEnd(98, '.') + '\r\n');
    if (chunk.length === 100 || i === lines) {
      ring.append(Buffer.from(chunk.join('')));
      screen.noteOutput();
      chunk.length = 0;
    }
  }
  const text = (await screen.snapshot()).data.toString('utf8');
  expect(text).toContain(`flood line ${String(lines).padStart(5, '0')} `);
  // parsed through, the picture would hold a full scrollback (2000 lines, 200 KB); skipped, only the
  // 128 KiB before the skip point and what came after it
  const shown = text.split('flood line').length - 1;
  expect(shown).toBeGreaterThan(24);
  expect(shown).toBeLessThan(SNAPSHOT_SCROLLBACK_LINES);
});

test('a flood that goes on after a picture taken in its midst is skipped, not parsed through', async () => {
  const ring = new RingBuffer(RING_BYTES);
  const screen = new Screen(ring, { cols: 120, rows: 24 });
  screens.push(screen);
  // 100-byte lines in 64 KiB reads, one a millisecond (64 MB/s on the screen's clock,
  // whatever the machine's load), each on its own turn of the event loop as the PTY's come
  vi.useFakeTimers({ toFake: ['Date'] });
  const line = 'x'.repeat(98) + '\r\n';
  const read = Buffer.from(line.repeat(Math.floor(65_536 / line.length)));
  let flooded = 0;
  const flood = async (until: () => boolean): Promise<void> => {
    while (!until()) {
      vi.setSystemTime(Date.now() + 1);
      ring.append(read);
      flooded += read.length;
      screen.noteOutput();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  // 2 MiB, then a fresh attach's picture, drawn while the output goes on
  await flood(() => flooded >= 2 << 20);
  let drawn = false;
  const shot = screen.snapshot().then(() => (drawn = true));
  await flood(() => drawn);
  await shot;
  // 8 MiB more: still a flood, so its middle is skipped as before the picture
  const parsed = countParsedBytes();
  try {
    const end = flooded + (8 << 20);
    await flood(() => flooded >= end);
    const text = (await screen.snapshot()).data.toString('utf8');
    expect(text).toContain(line.slice(0, 98));
    // the last picture parses the tail the last skip left (128 KiB) and what came after it
    expect(parsed.bytes).toBeLessThan(512 * 1024);
  } finally {
    parsed.restore();
  }
});

/** Counts the bytes every emulator of this process is given to parse, until restored. */
function countParsedBytes(): { bytes: number; restore(): void } {
  const proto = xterm.Terminal.prototype;
  const original = proto.write;
  const counter = {
    bytes: 0,
    restore: () => {
      proto.write = original;
    },
  };
  proto.write = function (this: InstanceType<typeof xterm.Terminal>, data: string | Uint8Array, callback?: () => void) {
    counter.bytes += data.length;
    original.call(this, data, callback);
  };
  return counter;
}
