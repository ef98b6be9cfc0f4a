import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import { GrittyError, assertNever } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import { MAX_CHUNK_BYTES, TRANSFER_FORMAT_VERSION, abortRecord, parseReceiverRecord, type ReceiverRecord } from './format.js';
import { PeerAborted, resultOf, toGrittyError, type FailedFile, type TransferEvents, type TransferResult } from './events.js';
import { planTransfer, type PlannedEntry } from './plan.js';
import { RecordDecoder } from './record-decoder.js';
import { RecordStream } from './record-stream.js';

/**
 * One read from disk, cut into data records written in one go: fewer thread-pool
 * round trips and stream writes than one per record. The buffer is reused: the
 * records of one read are written out before the next read.
 */
const READ_BYTES = 1 << 20;

export type SendSource =
  /** Files and, with `recursive`, directory trees, as named on the command line. */
  | { kind: 'paths'; paths: readonly string[]; recursive: boolean }
  /** One unnamed stream (`gritty send --stdin`), read until it ends. */
  | { kind: 'stdin'; input: Readable };

export interface SendOptions {
  /** The transfer channel; runSender ends its writable side, the caller destroys it. */
  stream: Duplex;
  source: SendSource;
  events: TransferEvents;
}

/**
 * Sends files over `stream` to a runReceiver at the other end, reading each file only
 * as fast as the stream drains. Never throws: the outcome, with an error that says
 * what to do, is the result.
 */
export async function runSender({ stream, source, events }: SendOptions): Promise<TransferResult> {
  const started = Date.now();
  const records = new RecordStream(stream, new RecordDecoder(parseReceiverRecord), 'receiver');
  const acks = new AckState(events);
  let error: GrittyError | undefined;
  let bytes = 0;
  const skipped: TransferResult['skipped'] = [];
  try {
    const plan = source.kind === 'paths' ? await planTransfer(source.paths, source.recursive) : undefined;
    await records.write({ type: 'offer', version: TRANSFER_FORMAT_VERSION, kind: plan === undefined ? 'stream' : 'files', files: plan?.files ?? 1, bytes: plan?.bytes });
    await acks.accepted(records);
    const send = async (): Promise<void> => {
      for (const entry of plan?.entries ?? []) {
        if (entry.kind === 'skipped') skipped.push({ path: entry.name, reason: entry.reason });
        bytes += await sendEntry(records, entry, events);
      }
      if (source.kind === 'stdin') bytes += await sendStream(records, source.input, events);
      await records.write({ type: 'end' });
    };
    await Promise.all([send().catch((err) => acks.stop(err)), acks.run(records)]);
    error = acks.error ?? acks.sendError;
  } catch (err) {
    error = toGrittyError(err);
  }
  if (error?.code === 'connection-lost') error = new GrittyError('connection-lost', `${error.message}. Check the receiving side and send again`, { cause: error });
  if (error !== undefined && error !== acks.sendError && !(error instanceof PeerAborted) && error.code !== 'connection-lost') {
    await records.writeLast(abortRecord(error)).catch(() => undefined);
  }
  await records.end().catch(() => undefined);
  const result = resultOf({ files: acks.ok, bytes, failed: acks.failed, skipped, error, elapsedMs: Date.now() - started });
  events.finished(result);
  return result;
}

/** The receiver's side of the conversation, read while the files go out. */
class AckState {
  ok = 0;
  failed: FailedFile[] = [];
  /** The receiver aborted, or its side of the stream broke. */
  error: GrittyError | undefined;
  /** Sending failed on our side (a file shrank, the stream closed). */
  sendError: GrittyError | undefined;
  private records: RecordStream<ReceiverRecord> | undefined;

  constructor(private readonly events: TransferEvents) {}

  /** Waits for the receiver's answer to the offer. */
  async accepted(records: RecordStream<ReceiverRecord>): Promise<void> {
    const first = await records.next();
    if (first === undefined) throw new GrittyError('connection-lost', 'the receiver went away before the transfer started');
    if (first.type === 'abort') throw new PeerAborted('receiver', first);
    if (first.type !== 'accept') throw new GrittyError('bad-message', `the receiver answered the offer with "${first.type}"`);
  }

  async run(records: RecordStream<ReceiverRecord>): Promise<void> {
    this.records = records;
    try {
      for (let record = await records.next(); record !== undefined; record = await records.next()) {
        switch (record.type) {
          case 'file-ok':
            this.ok += 1;
            break;
          case 'file-failed':
            this.failed.push({ path: record.path, code: record.code, message: record.message });
            this.events.failed(record.path, record.message);
            break;
          case 'summary':
            return;
          case 'abort':
            throw new PeerAborted('receiver', record);
          case 'accept':
            throw new GrittyError('bad-message', 'the receiver accepted twice');
          default:
            assertNever(record);
        }
      }
      if (this.sendError === undefined) throw new GrittyError('connection-lost', 'the receiver went away before confirming the files');
    } catch (err) {
      this.error ??= toGrittyError(err);
      records.stopWriting(this.error);
    }
  }

  /** Sending failed on our side: tell the receiver, which then ends the conversation. */
  async stop(err: unknown): Promise<void> {
    if (this.error !== undefined) return;
    this.sendError = toGrittyError(err);
    if (this.sendError.code === 'connection-lost') return;
    await this.records?.writeLast(abortRecord(this.sendError)).catch(() => undefined);
  }
}

async function sendEntry(records: RecordStream<ReceiverRecord>, entry: PlannedEntry, events: TransferEvents): Promise<number> {
  switch (entry.kind) {
    case 'dir':
      await records.write({ type: 'dir', path: entry.name, mode: entry.mode, mtime: entry.mtimeMs });
      return 0;
    case 'skipped':
      events.skipped(entry.name, entry.reason);
      await records.write({ type: 'skipped', path: entry.name, reason: entry.reason });
      return 0;
    case 'file':
      return sendFile(records, entry, events);
    default:
      return assertNever(entry);
  }
}

async function sendFile(records: RecordStream<ReceiverRecord>, entry: Extract<PlannedEntry, { kind: 'file' }>, events: TransferEvents): Promise<number> {
  const flags = constants.O_RDONLY | (entry.followLink ? 0 : constants.O_NOFOLLOW);
  const handle = await open(entry.source, flags).catch((err: NodeJS.ErrnoException) => {
    throw new GrittyError('transfer-failed', `cannot read ${printable(entry.source)}: ${err.code ?? err.message}. Check it and send again`, { cause: err });
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new GrittyError('transfer-failed', `${printable(entry.source)} is no longer a regular file`);
    await records.write({ type: 'file', path: entry.name, size: info.size, mode: info.mode & 0o7777, mtime: info.mtimeMs });
    events.start(entry.name, info.size);
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let sent = 0;
    while (sent < info.size) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, info.size - sent), sent);
      if (bytesRead === 0) throw new GrittyError('transfer-failed', `${printable(entry.source)} shrank while it was being sent. Send it again once nothing writes to it`);
      const read = buffer.subarray(0, bytesRead);
      hash.update(read);
      await records.writeData(chunksOf(read));
      events.progress(bytesRead);
      sent += bytesRead;
    }
    await records.write({ type: 'file-end', sha256: hash.digest() });
    events.done(entry.name);
    return sent;
  } finally {
    await handle.close();
  }
}

async function sendStream(records: RecordStream<ReceiverRecord>, input: Readable, events: TransferEvents): Promise<number> {
  events.start('', undefined);
  const hash = createHash('sha256');
  let sent = 0;
  for await (const piece of input as AsyncIterable<Buffer | string>) {
    const buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (buffer.length === 0) continue;
    hash.update(buffer);
    await records.writeData(chunksOf(buffer));
    sent += buffer.length;
    events.progress(buffer.length);
  }
  await records.write({ type: 'file-end', sha256: hash.digest() });
  events.done('');
  return sent;
}

/** `buffer` cut into data-record payloads (views, not copies). */
function chunksOf(buffer: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += MAX_CHUNK_BYTES) chunks.push(buffer.subarray(at, Math.min(at + MAX_CHUNK_BYTES, buffer.length)));
  return chunks;
}
