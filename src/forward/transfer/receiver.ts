import { createHash, type Hash } from 'node:crypto';
import type { Duplex, Writable } from 'node:stream';
import type { ReusedReads } from '../../relay/reused-reads.js';
import { GrittyError, assertNever } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import { PeerAborted, resultOf, toGrittyError, type FailedFile, type TransferEvents, type TransferResult } from './events.js';
import { MAX_MESSAGE_CHARS, TRANSFER_FORMAT_VERSION, abortRecord, parseReceivedSenderRecord, type DataPieces, type ReceivedSenderRecord } from './format.js';
import { DirTarget, StdoutTarget } from './dir-target.js';
import { PayloadPool } from './payload-pool.js';
import { RecordDecoder } from './record-decoder.js';
import { RecordStream } from './record-stream.js';
import { splitSafeName } from './safe-path.js';
import type { FileRecord, Incoming, Target } from './target.js';

export type ReceiveTarget =
  /** Files land under `dir` (which must exist), each renamed into place once verified. */
  | { kind: 'dir'; dir: string }
  /** Pipe mode (`gritty receive --stdout`): one stream or one file, written to `output`. */
  | { kind: 'stdout'; output: Writable };

export interface ReceiveOptions {
  /** The transfer channel; runReceiver ends its writable side, the caller destroys it. */
  stream: Duplex;
  /** The reads of `stream` when it was made with them (the CLI's sockets): records are then decoded straight from its reused buffer. */
  reads?: ReusedReads;
  target: ReceiveTarget;
  events: TransferEvents;
}

/** The file being received; `incoming` is undefined while the data of a refused file is skipped. */
interface Current {
  path: string;
  /** undefined for a pipe stream, whose length is known only at its end. */
  remaining: number | undefined;
  hash: Hash;
  incoming: Incoming | undefined;
  failure: FailedFile | undefined;
}

/** What has arrived so far. */
interface State {
  files: number;
  bytes: number;
  failed: FailedFile[];
  skipped: TransferResult['skipped'];
  current: Current | undefined;
}

/**
 * Receives what a runSender at the other end sends. Every record is validated; a name
 * that is not a plain relative path, data beyond or short of the announced size, or a
 * full disk stops the transfer; a file refused by the destination (a symlink on its
 * way, a directory in its place) or whose sha256 differs fails alone. Never throws.
 */
export async function runReceiver({ stream, reads, target: where, events }: ReceiveOptions): Promise<TransferResult> {
  const started = Date.now();
  const pool = reads === undefined ? undefined : new PayloadPool();
  const records = new RecordStream(stream, new RecordDecoder(parseReceivedSenderRecord, (data) => data, pool), 'sender', reads);
  const state: State = { files: 0, bytes: 0, failed: [], skipped: [], current: undefined };
  let error: GrittyError | undefined;
  try {
    const target = where.kind === 'dir' ? await DirTarget.open(where.dir, events) : new StdoutTarget(where.output);
    const offer = await nextRecord(records);
    if (offer.type === 'abort') throw new PeerAborted('sender', offer);
    if (offer.type !== 'offer') throw new GrittyError('bad-message', `the sender began with "${offer.type}" instead of an offer`);
    if (offer.version !== TRANSFER_FORMAT_VERSION) {
      throw new GrittyError('version-mismatch', `the sender speaks transfer format ${offer.version} and this side ${TRANSFER_FORMAT_VERSION}: update gritty on both sides`);
    }
    target.accept(offer);
    await records.write({ type: 'accept' });
    if (offer.kind === 'stream') state.current = await begin(target, undefined, [], events);
    for (let record = await nextRecord(records); record.type !== 'end'; record = await nextRecord(records)) {
      await handle(record.type === 'data' ? withQueuedData(record, records) : record, target, records, state, events);
    }
    if (state.current !== undefined) throw new GrittyError('bad-message', 'the sender ended in the middle of a file');
    await target.finish();
    await records.write({ type: 'summary', files: state.files, bytes: state.bytes, failed: state.failed.length });
  } catch (err) {
    error = toGrittyError(err);
    if (error.code === 'connection-lost') error = new GrittyError('connection-lost', `${error.message}; nothing partial was kept. Send again`, { cause: error });
    await state.current?.incoming?.discard();
    records.discardRest();
    if (error.code !== 'connection-lost' && !(error instanceof PeerAborted)) {
      await records.writeLast(abortRecord(error)).catch(() => undefined);
      await records.end().catch(() => undefined);
      await peerHangsUp(stream, ABORT_LINGER_MS);
    }
  }
  await records.end().catch(() => undefined);
  const result = resultOf({ files: state.files, bytes: state.bytes, failed: state.failed, skipped: state.skipped, error, elapsedMs: Date.now() - started });
  events.finished(result);
  return result;
}

async function nextRecord(records: RecordStream<ReceivedSenderRecord>): Promise<ReceivedSenderRecord> {
  const record = await records.next();
  if (record === undefined) throw new GrittyError('connection-lost', 'the sender went away in the middle of the transfer');
  return record;
}

/**
 * `first` and the data records already read behind it, as one: one hash-and-write step
 * for all of them instead of a round of promises per 64 KiB record. Their bytes are
 * checked against the announced size as a sum, which holds them to the same limit.
 */
function withQueuedData(first: DataPieces, records: RecordStream<ReceivedSenderRecord>): DataPieces {
  const more = records.takeQueued((record): record is DataPieces => record.type === 'data');
  if (more.length === 0) return first;
  const all = [first, ...more];
  const pieces = all.flatMap((record) => record.pieces);
  const bytes = all.reduce((sum, record) => sum + record.bytes, 0);
  const releases = all.flatMap((record) => (record.release === undefined ? [] : [record.release]));
  return { type: 'data', pieces, bytes, release: releases.length === 0 ? undefined : () => releases.forEach((release) => release()) };
}

async function handle(record: ReceivedSenderRecord, target: Target, records: RecordStream<ReceivedSenderRecord>, state: State, events: TransferEvents): Promise<void> {
  if (state.current === undefined && (record.type === 'data' || record.type === 'file-end')) {
    throw new GrittyError('bad-message', `the sender sent "${record.type}" outside a file`);
  }
  if (state.current !== undefined && record.type !== 'data' && record.type !== 'file-end' && record.type !== 'abort') {
    throw new GrittyError('bad-message', `the sender sent "${record.type}" in the middle of ${printable(state.current.path)}`);
  }
  switch (record.type) {
    case 'offer':
      throw new GrittyError('bad-message', 'the sender offered twice');
    case 'abort':
      throw new PeerAborted('sender', record);
    case 'skipped':
      state.skipped.push({ path: record.path, reason: record.reason });
      events.skipped(record.path, record.reason);
      return;
    case 'dir': {
      const parts = splitSafeName(record.path);
      try {
        await target.dir(record, parts);
      } catch (err) {
        await refuse(records, state, events, failureOf(record.path, err));
      }
      return;
    }
    case 'file':
      state.current = await begin(target, record, splitSafeName(record.path), events);
      return;
    case 'data':
      return take(record, state.current!, state, events);
    case 'file-end':
      return finishFile(record.sha256, state.current!, records, state, events);
    case 'end':
      return;
    default:
      assertNever(record);
  }
}

async function begin(target: Target, record: FileRecord | undefined, parts: string[], events: TransferEvents): Promise<Current> {
  const path = record?.path ?? '';
  const current: Current = { path, remaining: record?.size, hash: createHash('sha256'), incoming: undefined, failure: undefined };
  try {
    current.incoming = await target.begin(record, parts);
    events.start(path, record?.size);
  } catch (err) {
    current.failure = failureOf(path, err);
  }
  return current;
}

async function take({ pieces, bytes, release }: DataPieces, current: Current, state: State, events: TransferEvents): Promise<void> {
  if (current.remaining !== undefined) {
    if (bytes > current.remaining) throw new GrittyError('bad-message', `the sender sent more data for ${printable(current.path)} than it announced`);
    current.remaining -= bytes;
  }
  for (const piece of pieces) current.hash.update(piece);
  if (current.incoming === undefined) {
    release?.();
    return;
  }
  await current.incoming.write(pieces, release);
  state.bytes += bytes;
  events.progress(bytes);
}

async function finishFile(sha256: Buffer, current: Current, records: RecordStream<ReceivedSenderRecord>, state: State, events: TransferEvents): Promise<void> {
  if (current.remaining !== undefined && current.remaining > 0) {
    throw new GrittyError('bad-message', `the sender ended ${printable(current.path)} ${current.remaining} bytes short of the size it announced`);
  }
  state.current = undefined;
  if (current.failure !== undefined) return refuse(records, state, events, current.failure);
  const incoming = current.incoming!;
  if (!current.hash.digest().equals(sha256)) {
    await incoming.discard();
    const damaged = new GrittyError('transfer-failed', `${printable(current.path)} arrived damaged (its sha256 differs); it was not kept. Send it again`);
    return refuse(records, state, events, failureOf(current.path, damaged));
  }
  try {
    await incoming.commit();
  } catch (err) {
    return refuse(records, state, events, failureOf(current.path, err));
  }
  state.files += 1;
  events.done(current.path);
  await records.write({ type: 'file-ok', path: current.path });
}

/** What failed one entry; a full disk is no single entry's failure and stops the transfer. */
function failureOf(path: string, err: unknown): FailedFile {
  const failure = toGrittyError(err);
  if (failure.code === 'disk-full') throw failure;
  return { path, code: failure.code, message: failure.message };
}

async function refuse(records: RecordStream<ReceivedSenderRecord>, state: State, events: TransferEvents, failure: FailedFile): Promise<void> {
  state.failed.push(failure);
  events.failed(failure.path, failure.message);
  await records.write({ type: 'file-failed', ...failure, message: failure.message.slice(0, MAX_MESSAGE_CHARS) });
}

/**
 * After our abort the sender may still be writing. Hanging up at once would reset the
 * connection under it, and it would report that we went away instead of why: so its
 * data is read and dropped until it hangs up, or for a while.
 */
const ABORT_LINGER_MS = 2_000;

function peerHangsUp(stream: Duplex, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.readableEnded) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      stream.off('end', done);
      stream.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stream.once('end', done);
    stream.once('close', done);
    stream.resume();
  });
}
