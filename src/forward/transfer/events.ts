import { GrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import type { SkipReason } from './format.js';

/**
 * What a transfer tells the person running it, as it happens. Paths are as sent (the
 * peer's text): whoever shows them escapes them with printable(). The stream of a
 * pipe-mode transfer has the path ''.
 */
export interface TransferEvents {
  /** A file starts moving; size is undefined for a pipe stream of unknown length. */
  start(path: string, size: number | undefined): void;
  /** `bytes` more bytes of the current file moved. */
  progress(bytes: number): void;
  /** The current file is all sent, or received, verified and in place. */
  done(path: string): void;
  /** A file did not arrive intact (the receiver refused or could not write it). */
  failed(path: string, message: string): void;
  /** The receiver is about to replace an existing file of that name. */
  replacing(path: string): void;
  /** The sender left an entry out: a symlink inside a tree, or a socket, fifo or device. */
  skipped(path: string, reason: SkipReason): void;
  /** Called once at the end, with the outcome. */
  finished(result: TransferResult): void;
}

export interface FailedFile {
  path: string;
  code: string;
  message: string;
}

export interface TransferResult {
  /** 0 only when every file arrived intact; the CLI exits with it. */
  status: 0 | 1;
  /** Files that arrived intact (pipe mode: 1 when the stream did). */
  files: number;
  /** Bytes of file data moved. */
  bytes: number;
  failed: FailedFile[];
  skipped: { path: string; reason: SkipReason }[];
  /** Why the whole transfer stopped early, when it did: says what to do next. */
  error: GrittyError | undefined;
  elapsedMs: number;
}

/** Events nobody watches: for callers that only want the result. */
export const SILENT_EVENTS: TransferEvents = {
  start() {},
  progress() {},
  done() {},
  failed() {},
  replacing() {},
  skipped() {},
  finished() {},
};

export function resultOf(parts: Omit<TransferResult, 'status'>): TransferResult {
  const status = parts.error === undefined && parts.failed.length === 0 ? 0 : 1;
  return { status, ...parts };
}

/** An abort record from the peer, as our error: it names the side that stopped. Needs no abort sent back. */
export class PeerAborted extends GrittyError {
  constructor(side: 'sender' | 'receiver', record: { code: string; message: string }) {
    super('transfer-failed', `the ${side} stopped the transfer (${printable(record.code)}): ${printable(record.message)}`);
  }
}

export function toGrittyError(err: unknown): GrittyError {
  if (err instanceof GrittyError) return err;
  const e = err as NodeJS.ErrnoException;
  return new GrittyError('transfer-failed', `the transfer failed: ${e.message}`, { cause: err });
}
