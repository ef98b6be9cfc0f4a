import { SingleBar } from 'cli-progress';
import { printable } from '../../relay/printable.js';
import type { SkipReason } from './format.js';
import type { TransferEvents, TransferResult } from './events.js';
import { formatBytes } from './part-file.js';

/** Redraws per second: smooth to the eye, negligible next to the transfer. */
const BAR_FPS = 8;
/** Samples behind the ETA: steady over a few seconds, still following a change of pace. */
const ETA_SAMPLES = 50;

export interface ProgressOptions {
  /** Where people read progress: stderr, since stdout may carry the data in pipe mode. */
  output: NodeJS.WritableStream & { isTTY?: boolean };
  /** 'sent' or 'received': the verb of the per-file and summary lines. */
  verb: 'sent' | 'received';
}

/** Progress bars on a terminal, plain lines elsewhere. */
export function createProgress(options: ProgressOptions): TransferEvents {
  return options.output.isTTY === true ? new BarProgress(options) : new LineProgress(options);
}

function displayName(path: string): string {
  return path === '' ? '(pipe)' : printable(path);
}

const SKIP_REASONS: Record<SkipReason, string> = {
  symlink: 'a symlink; symlinks are not followed or sent',
  special: 'not a regular file (socket, fifo or device)',
  'unsafe-name': 'its name has control characters or is too long',
};

function skippedLine(path: string, reason: SkipReason): string {
  return `skipped ${displayName(path)}: ${SKIP_REASONS[reason]}`;
}

/** Bytes per second; Date.now() ticks in whole milliseconds, so bytes moved within one count as moved in 1 ms. */
function rate(bytes: number, elapsedMs: number): string {
  return bytes === 0 ? '-' : `${formatBytes(Math.round((bytes * 1000) / Math.max(elapsedMs, 1)))}/s`;
}

/** `received 3 files, 12.0 MiB in 1.2 s (10.0 MiB/s); 1 failed; 2 skipped`. */
export function summaryLine(verb: 'sent' | 'received', result: TransferResult): string {
  const parts = [
    `${verb} ${result.files} ${result.files === 1 ? 'file' : 'files'}, ${formatBytes(result.bytes)} in ${(result.elapsedMs / 1000).toFixed(1)} s (${rate(result.bytes, result.elapsedMs)})`,
  ];
  if (result.failed.length > 0) parts.push(`${result.failed.length} failed`);
  if (result.skipped.length > 0) parts.push(`${result.skipped.length} skipped`);
  if (result.error !== undefined) parts.push('stopped early');
  return parts.join('; ');
}

/** One line per event, for logs and pipes: no escape codes, nothing redrawn. */
class LineProgress implements TransferEvents {
  private fileBytes = 0;

  constructor(private readonly options: ProgressOptions) {}

  start(): void {
    this.fileBytes = 0;
  }
  progress(bytes: number): void {
    this.fileBytes += bytes;
  }
  done(path: string): void {
    this.line(`${this.options.verb} ${displayName(path)} (${formatBytes(this.fileBytes)})`);
  }
  failed(path: string, message: string): void {
    this.line(`failed ${displayName(path)}: ${printable(message)}`);
  }
  replacing(path: string): void {
    this.line(`replacing ${displayName(path)}`);
  }
  skipped(path: string, reason: SkipReason): void {
    this.line(skippedLine(path, reason));
  }
  finished(result: TransferResult): void {
    this.line(summaryLine(this.options.verb, result));
  }
  private line(text: string): void {
    this.options.output.write(`${text}\n`);
  }
}

/** One bar per file (name, bar, bytes, rate, ETA), left on screen when the file is done. */
class BarProgress implements TransferEvents {
  private bar: SingleBar | undefined;
  private moved = 0;
  private startedAt = 0;
  private readonly waiting: string[] = [];

  constructor(private readonly options: ProgressOptions) {}

  start(path: string, size: number | undefined): void {
    this.stopBar();
    const known = size !== undefined;
    this.bar = new SingleBar({
      stream: this.options.output,
      format: known ? '{name} [{bar}] {percentage}% {moved}/{size} {rate} ETA {eta_formatted}' : '{name} {moved} {rate}',
      fps: BAR_FPS,
      etaBuffer: ETA_SAMPLES,
      barsize: 30,
      linewrap: true,
      gracefulExit: false,
      hideCursor: false,
    });
    this.moved = 0;
    this.startedAt = Date.now();
    this.bar.start(size ?? 0, 0, { name: displayName(path), moved: formatBytes(0), size: formatBytes(size ?? 0), rate: '-' });
  }
  progress(bytes: number): void {
    this.moved += bytes;
    this.bar?.increment(bytes, { moved: formatBytes(this.moved), rate: rate(this.moved, Date.now() - this.startedAt) });
  }
  done(): void {
    this.stopBar();
  }
  failed(path: string, message: string): void {
    this.note(`failed ${displayName(path)}: ${printable(message)}`);
  }
  replacing(path: string): void {
    this.note(`replacing ${displayName(path)}`);
  }
  skipped(path: string, reason: SkipReason): void {
    this.note(skippedLine(path, reason));
  }
  finished(result: TransferResult): void {
    this.stopBar();
    this.options.output.write(`${summaryLine(this.options.verb, result)}\n`);
  }

  /** A line written while a bar is drawn would be torn by its next redraw: it waits for the bar to stop. */
  private note(text: string): void {
    if (this.bar === undefined) this.options.output.write(`${text}\n`);
    else this.waiting.push(text);
  }

  private stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
    for (const text of this.waiting.splice(0)) this.options.output.write(`${text}\n`);
  }
}
