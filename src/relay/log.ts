import { appendFileSync } from 'node:fs';
import { printable } from './printable.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A line-per-event logger to a file (the daemon) or stderr (verbose clients). */
export class Logger {
  constructor(
    private readonly sink: { file: string } | 'stderr',
    private readonly min: LogLevel = 'info',
  ) {}

  debug(msg: string): void { this.write('debug', msg); }
  info(msg: string): void { this.write('info', msg); }
  warn(msg: string): void { this.write('warn', msg); }
  error(msg: string, err?: unknown): void {
    this.write('error', err instanceof Error ? `${msg}: ${err.stack ?? err.message}` : msg);
  }

  private write(level: LogLevel, msg: string): void {
    if (RANK[level] < RANK[this.min]) return;
    // escaped, so no text from a peer or a process can end this line and forge the next
    const line = `${new Date().toISOString()} ${process.pid} ${level} ${printable(msg)}\n`;
    if (this.sink === 'stderr') process.stderr.write(line);
    else {
      try {
        appendFileSync(this.sink.file, line, { mode: 0o600 });
      } catch {
        // a full or missing log dir must never take the daemon down
      }
    }
  }
}
