import { appendFileSync, chmodSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { printable } from './printable.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A log file past this size is moved to `<file>.1` (replacing the older one): at most twice this on disk per log. */
export const LOG_CAP_BYTES = 1 << 20;
export const LOG_FILE_MODE = 0o600;
export const LOG_DIR_MODE = 0o700;

export interface FileSink {
  file: string;
  /** Also write each line to stderr (-v), until `quiet()`. */
  echo?: boolean;
}

/** A line-per-event logger to a file (capped and rotated) or stderr (verbose foreground runs). */
export class Logger {
  private size: number | undefined;
  private echo: boolean;

  constructor(
    private readonly sink: FileSink | 'stderr',
    private readonly min: LogLevel = 'info',
  ) {
    this.echo = sink !== 'stderr' && sink.echo === true;
  }

  debug(msg: string): void { this.write('debug', msg); }
  info(msg: string): void { this.write('info', msg); }
  warn(msg: string): void { this.write('warn', msg); }
  error(msg: string, err?: unknown): void {
    this.write('error', err instanceof Error ? `${msg}: ${err.stack ?? err.message}` : msg);
  }

  /** Stops echoing to stderr: the terminal is about to go raw, where only the status line may appear. */
  quiet(): void {
    this.echo = false;
  }

  private write(level: LogLevel, msg: string): void {
    if (RANK[level] < RANK[this.min]) return;
    const line = `${new Date().toISOString()} ${process.pid} ${level} ${printable(msg)}\n`;
    if (this.sink === 'stderr' || this.echo) process.stderr.write(line);
    if (this.sink === 'stderr') return;
    try {
      this.append(this.sink.file, line);
    } catch {
      // a full or missing log dir must never take the process down
    }
  }

  private append(file: string, line: string): void {
    if (this.size === undefined) this.size = prepareLogFile(file);
    if (this.size + line.length > LOG_CAP_BYTES) {
      renameSync(file, `${file}.1`);
      this.size = 0;
    }
    appendFileSync(file, line, { mode: LOG_FILE_MODE });
    this.size += Buffer.byteLength(line);
  }
}

/**
 * Makes the log's directory (0700) and tightens a looser existing directory or file
 * to 0700/0600. Returns the file's current size. Also used before handing a log file
 * to a child process as its stderr.
 */
export function prepareLogFile(file: string): number {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: LOG_DIR_MODE });
  if ((statSync(dir).mode & 0o777) !== LOG_DIR_MODE) chmodSync(dir, LOG_DIR_MODE);
  try {
    const st = statSync(file);
    if ((st.mode & 0o777) !== LOG_FILE_MODE) chmodSync(file, LOG_FILE_MODE);
    if (st.size > LOG_CAP_BYTES) {
      renameSync(file, `${file}.1`);
      return 0;
    }
    return st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}
