import { basename } from 'node:path';
import * as nodePty from 'node-pty';
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
}

export interface ExitStatus {
  code: number;
  signal: number | undefined;
}

export interface Pty {
  readonly pid: number;
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
  // node-pty's UnixTerminal has a master `fd` and a read `_socket` its typings leave out;
  // the writer stops when that socket closes the fd, before the number can be reused
  const unix = proc as unknown as { fd: number; _socket: { once(event: 'close', listener: () => void): void } };
  const writer = new PtyWriter(unix.fd);
  unix._socket.once('close', () => writer.close());
  const pty: Pty = {
    pid: proc.pid,
    onData: (listener) => {
      proc.onData((data) => listener(data as unknown as Buffer));
    },
    onExit: (listener) => {
      proc.onExit(({ exitCode, signal }) => listener({ code: exitCode, signal: signal === 0 ? undefined : signal }));
    },
    write: (data) => writer.write(data),
    get written() {
      return writer.written;
    },
    onWritten: (listener) => writer.onWritten(listener),
    resize: (cols, rows) => {
      try {
        proc.resize(cols, rows);
      } catch {
        // resizing a PTY whose process just exited fails; the exit event follows
      }
    },
    foreground: () => {
      try {
        return proc.process === '' ? undefined : basename(proc.process);
      } catch {
        return undefined;
      }
    },
    kill: (signal) => {
      try {
        proc.kill(signal);
      } catch {
        // already gone
      }
    },
  };
  return { ok: true, pty };
}
