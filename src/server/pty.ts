import { readSync } from 'node:fs';
import type { OnReadOpts, Socket } from 'node:net';
import { basename } from 'node:path';
import * as nodePty from 'node-pty';
import { takeOverReads } from '../relay/own-reads.js';
import { sharedReadBuffer } from '../relay/socket-reads.js';
import { processAlive } from '../relay/process-identity.js';
import { PtyWriter } from './pty-writer.js';

/**
 * The only importer of node-pty. node-pty's typings say onData yields strings even
 * with `encoding: null`; with null it yields Buffers, and this wrapper owns that type.
 */
export interface PtyOptions {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  /**
   * Hands over a flood's output in chunks of up to 64 KiB (the shared read buffer)
   * instead of one per 4 KiB read, so everything after the read (ring, frames,
   * wake-ups) runs once per chunk. Such a chunk is only valid until the listener
   * returns: copy what you keep.
   */
  drainFloods?: boolean;
}

/**
 * A read at least this large filled the kernel's line-discipline buffer (4 KiB, less
 * one byte): the program writes faster than we read, and more is waiting.
 */
export const FULL_PTY_READ_BYTES = 4000;
/**
 * How often a paused PTY checks that its program is still there. Once the program has
 * exited, node-pty waits 200 ms for its read stream to end, then destroys it with
 * whatever output was still unread: reading must resume well within that.
 */
const EXIT_POLL_MS = 50;

export interface ExitStatus {
  code: number;
  signal: number | undefined;
}

export interface Pty {
  readonly pid: number;
  /** Output as the program writes it; with `drainFloods`, a chunk is valid only until the listener returns. */
  onData(listener: (data: Buffer) => void): void;
  onExit(listener: (status: ExitStatus) => void): void;
  write(data: Buffer): void;
  /** Input bytes the PTY has taken so far (what a client's input is acknowledged up to). */
  readonly written: number;
  /** Called when input that had to wait was taken later. */
  onWritten(listener: () => void): void;
  resize(cols: number, rows: number): void;
  /** Name of the terminal's foreground process, where the OS tells. */
  foreground(): string | undefined;
  kill(signal?: string): void;
  /** Stops reading output, so a program that keeps writing blocks; input, resize and exit still work. */
  pause(): void;
  resume(): void;
}

export type SpawnResult = { ok: true; pty: Pty } | { ok: false; error: string };

export function spawnPty(options: PtyOptions): SpawnResult {
  let proc: nodePty.IPty;
  try {
    proc = nodePty.spawn(options.file, options.args, {
      name: options.env.TERM ?? 'xterm-256color',
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd,
      env: options.env,
      encoding: null,
    });
  } catch (err) {
    return { ok: false, error: `cannot start ${options.file}: ${(err as Error).message}` };
  }
  // node-pty's UnixTerminal has a master `fd` and a read `_socket` its typings leave out
  return { ok: true, pty: new SpawnedPty(proc, proc as unknown as { fd: number; _socket: Socket }, options.drainFloods === true) };
}

/** A class rather than an object of closures: a session holds one for its life, and methods on the prototype cost it nothing each. */
class SpawnedPty implements Pty {
  private readonly writer: PtyWriter;
  private readonly reads: OutputReads;
  private listener: ((data: Buffer) => void) | undefined;
  private exitPoll: NodeJS.Timeout | undefined;
  private gone = false;

  constructor(
    private readonly proc: nodePty.IPty,
    unix: { fd: number; _socket: Socket },
    drainFloods: boolean,
  ) {
    this.writer = new PtyWriter(unix.fd);
    this.reads = readOutput(unix, drainFloods, (data) => this.listener?.(data));
    // the writer stops when the reader closes the fd, before the number can be reused
    this.reads.socket.once('close', () => this.writer.close());
    proc.onExit(() => {
      this.gone = true;
      this.resume();
    });
  }

  get pid(): number {
    return this.proc.pid;
  }

  get written(): number {
    return this.writer.written;
  }

  onData(listener: (data: Buffer) => void): void {
    this.listener = listener;
    this.reads.start();
  }

  onExit(listener: (status: ExitStatus) => void): void {
    this.proc.onExit(({ exitCode, signal }) => listener({ code: exitCode, signal: signal === 0 ? undefined : signal }));
  }

  write(data: Buffer): void {
    this.writer.write(data);
  }

  onWritten(listener: () => void): void {
    this.writer.onWritten(listener);
  }

  resize(cols: number, rows: number): void {
    try {
      this.proc.resize(cols, rows);
    } catch {
      // resizing a PTY whose process just exited fails; the exit event follows
    }
  }

  foreground(): string | undefined {
    try {
      return this.proc.process === '' ? undefined : basename(this.proc.process);
    } catch {
      return undefined;
    }
  }

  kill(signal?: string): void {
    try {
      this.proc.kill(signal);
    } catch {
      // already gone
    }
  }

  pause(): void {
    if (this.exitPoll !== undefined || this.gone) return;
    this.reads.socket.pause();
    this.exitPoll = setInterval(() => {
      this.gone = !processAlive(this.proc.pid);
      if (this.gone) this.resume();
    }, EXIT_POLL_MS);
    this.exitPoll.unref();
  }

  resume(): void {
    if (this.exitPoll === undefined) return;
    clearInterval(this.exitPoll);
    this.exitPoll = undefined;
    this.reads.socket.resume();
  }
}

interface OutputReads {
  /** The socket that reads the master: its pause and resume stop and restart reading; it closes the fd. */
  readonly socket: Socket;
  start(): void;
}

/**
 * Reads the master into the shared buffer through node-pty's own handle, taken over
 * (own-reads.ts): no Readable and no fresh buffer per read, so a keystroke's echo and a
 * flood's first read cost one callback. node-pty keeps spawn, resize and exit: its read
 * stream is left without a handle and is destroyed when the reader closes (EIO once the
 * program and every holder of the terminal are gone), which is what it waits for before
 * it reports the exit; when node-pty gives up waiting (200 ms after the exit) and
 * destroys its stream, the reader goes with it, as node-pty's own stream did.
 * Where the handle cannot be taken over, node-pty's stream is read as it is.
 */
function readOutput(unix: { fd: number; _socket: Socket }, drainFloods: boolean, deliver: (data: Buffer) => void): OutputReads {
  // shared with every socket read of the daemon: fresh memory per read cost more in page
  // faults than the read itself (a fresh 64 KiB per drained chunk: 920 against 340 ms of CPU for 32 MiB)
  const buffer = sharedReadBuffer();
  const chunkOf = (length: number): Buffer => (drainFloods ? drainFlood(unix.fd, buffer, length) : Buffer.from(buffer.subarray(0, length)));
  const onread: OnReadOpts = {
    buffer,
    callback: (length) => {
      deliver(chunkOf(length));
      return true;
    },
  };
  const own = takeOverReads(unix._socket, onread);
  if (own === undefined) {
    return {
      socket: unix._socket,
      start: () => unix._socket.on('data', (data: Buffer) => deliver(chunkOf(data.copy(buffer)))),
    };
  }
  // EIO at exit, or a read error: either way the program's output has ended, and the close that follows reports it
  own.on('error', () => undefined);
  return { socket: own, start: () => own.resume() };
}

/**
 * After a full read (its `length` bytes at the start of `chunk`), reads on from the
 * (non-blocking) master while the kernel keeps handing over full buffers, up to the
 * end of `chunk`: bounded, so a flood cannot hold the event loop (and keystrokes) up
 * for long. A short read means the program has been caught up with; an error (EAGAIN,
 * or EIO once the program is gone) stops the drain and is left for the next read to see.
 */
function drainFlood(fd: number, chunk: Buffer, first: number): Buffer {
  let length = first;
  if (length >= FULL_PTY_READ_BYTES) {
    while (length < chunk.length) {
      let n: number;
      try {
        n = readSync(fd, chunk, length, chunk.length - length, null);
      } catch {
        break;
      }
      length += n;
      if (n < FULL_PTY_READ_BYTES) break;
    }
  }
  return chunk.subarray(0, length);
}
