import type { SenderRecord } from './format.js';

export type OfferRecord = Extract<SenderRecord, { type: 'offer' }>;
export type DirRecord = Extract<SenderRecord, { type: 'dir' }>;
export type FileRecord = Extract<SenderRecord, { type: 'file' }>;

/** One file on its way in: bytes are written as they come, then committed or discarded. */
export interface Incoming {
  /**
   * Takes the pieces by reference: the caller must not reuse their memory until
   * `written` is called, once they are written out. After a failure it may never be.
   */
  write(pieces: readonly Buffer[], written?: () => void): Promise<void>;
  /** Called only when every byte arrived and the sha256 matched. */
  commit(): Promise<void>;
  /** Removes all trace of the file; safe to call more than once. */
  discard(): Promise<void>;
}

/**
 * Where received files go: a directory, or stdout in pipe mode. Each method throws a
 * GrittyError to refuse; `disk-full` stops the whole transfer, anything else fails only
 * that entry. Names reach a target already checked by splitSafeName.
 */
export interface Target {
  /** Throws to refuse the whole offer (a stream into a directory, files into stdout). */
  accept(offer: OfferRecord): void;
  dir(record: DirRecord, parts: readonly string[]): Promise<void>;
  /** `record` is undefined for the unnamed stream of pipe mode. */
  begin(record: FileRecord | undefined, parts: readonly string[]): Promise<Incoming>;
  /** After the last entry: apply what had to wait (directory modes and mtimes). */
  finish(): Promise<void>;
}
