import { spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { OnReadOpts, SocketConstructorOpts } from 'node:net';
import { ReadStream, type WriteStream } from 'node:tty';

/**
 * Leaves full-screen modes a session may have set, so the user's terminal is usable
 * after detach: main screen, visible cursor, no mouse reporting, no bracketed paste,
 * normal cursor and keypad keys, default attributes.
 */
export const MODE_RESET =
  '\x1b[?1049l\x1b[?1047l\x1b[?47l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?1004l\x1b[?1l\x1b>\x1b[0m';
/**
 * Drawing as the picture expects it: no scroll region, absolute rows, overwrite, wrap at
 * the edge, default attributes, G0 ASCII. A repaint in place meets a terminal still in
 * the session's modes; the picture's end sets the session's modes again.
 */
const DRAWING_DEFAULTS = '\x1b[r\x1b[?6l\x1b[4l\x1b[?7h\x1b[0m\x1b(B';
/** Cursor home and erase to the end of the screen: the canvas for the first picture of a fresh attach. */
export const CLEAR_FOR_REPAINT = `${DRAWING_DEFAULTS}\x1b[H\x1b[J`;

/**
 * The canvas for repainting a screen this client already shows (after an outage's
 * status line, a suspend, or a flood it fell behind): back on the main screen (the
 * picture re-enters the alternate one if the session is there), then each row erased
 * on its own. Clearing the whole screen at once would make terminals that keep
 * cleared screens (tmux's scroll-on-clear, VTE) push what is already shown into the
 * scrollback a second time.
 */
export function canvasInPlace(rows: number): string {
  let canvas = `\x1b[?1049l${DRAWING_DEFAULTS}`;
  for (let row = 1; row <= rows; row++) canvas += `\x1b[${row};1H\x1b[2K`;
  return `${canvas}\x1b[H`;
}

// Not SIGPIPE: Node ignores it so that a write to a socket whose peer went away is an
// EPIPE error on that socket (a dropped link to reconnect); a handler would make every
// such write kill the client.
const FATAL_SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
const SIGNAL_NUMBERS: Record<(typeof FATAL_SIGNALS)[number], number> = { SIGHUP: 1, SIGQUIT: 3, SIGTERM: 15 };

/** The most one read of the terminal takes (a paste arrives in reads of this size): libuv's own read size. */
const INPUT_READ_BYTES = 64 * 1024;

/**
 * The local terminal in raw mode, restored whatever way the process ends: normal
 * exit, a signal, or a crash. Keystrokes are read with net's `onread` into one reused
 * buffer and handed on as a copy each, with no Readable stream in between (its push,
 * emit and nextTick ran on every keystroke).
 */
export class LocalTerminal {
  readonly input: ReadStream;
  private raw = false;
  private listener: ((data: Buffer) => void) | undefined;
  private readonly onExit = (): void => this.restore();

  constructor(
    private readonly inputFd: number,
    readonly output: WriteStream & { fd: number },
  ) {
    const buffer = Buffer.allocUnsafe(INPUT_READ_BYTES);
    // @types/node leaves `onread` out of the socket constructor's options; net.Socket takes it there
    const onread: OnReadOpts = {
      buffer,
      callback: (n) => {
        this.listener?.(Buffer.from(buffer.subarray(0, n)));
        return true;
      },
    };
    const options = { onread } as SocketConstructorOpts;
    this.input = new ReadStream(inputFd, options);
    process.on('exit', this.onExit);
    for (const signal of FATAL_SIGNALS) {
      process.on(signal, () => {
        this.restore();
        process.exit(128 + SIGNAL_NUMBERS[signal]);
      });
    }
    process.on('uncaughtException', (err) => {
      this.restore();
      process.stderr.write(`gritty: internal error: ${err.stack ?? err.message}\n`);
      process.exit(70);
    });
  }

  get size(): { cols: number; rows: number } {
    return { cols: this.output.columns || 80, rows: this.output.rows || 24 };
  }

  enterRaw(): void {
    if (this.raw) return;
    this.input.setRawMode(true);
    // libuv's raw mode keeps OPOST/ONLCR, which turns a session's bare LF (cursor down,
    // as tmux draws) into CR LF and tears full-screen programs; turn output processing
    // off as cfmakeraw does. setRawMode(false) restores the saved settings, OPOST included.
    spawnSync('stty', ['-opost'], { stdio: [this.inputFd, 'ignore', 'ignore'] });
    this.input.resume();
    this.raw = true;
  }

  /** Back to cooked mode; idempotent. `resetModes` also undoes the session's full-screen modes. */
  restore(resetModes = false): void {
    if (resetModes) this.write(MODE_RESET);
    if (!this.raw) return;
    this.raw = false;
    try {
      this.input.setRawMode(false);
    } catch {
      // the terminal is already gone (hangup)
    }
  }

  /** Who gets what is typed (a copy of each read, theirs to keep); undefined: nobody, the bytes are dropped. */
  onInput(listener: ((data: Buffer) => void) | undefined): void {
    this.listener = listener;
  }

  write(data: Buffer | string): void {
    writeThrough(this.output.fd, this.output, data);
  }
}

/**
 * Writes straight to a terminal's fd: a TTY write blocks anyway (Node makes stdout
 * blocking), and the stream around it cost a Writable pass and a nextTick per echo.
 * What the fd does not take (EAGAIN on a terminal someone made non-blocking, or an
 * error) goes through `stream` as before, as does everything while the stream holds a
 * backlog, so bytes keep their order.
 */
export function writeThrough(fd: number, stream: Pick<Writable, 'write' | 'writableLength'>, data: Buffer | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let written = 0;
  if (stream.writableLength === 0) {
    try {
      while (written < bytes.length) written += writeSync(fd, bytes, written);
      return;
    } catch {
      // left to the stream, which reports what it cannot write as it always did
    }
  }
  stream.write(bytes.subarray(written));
}
