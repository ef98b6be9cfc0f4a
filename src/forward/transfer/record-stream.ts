import type { Duplex } from 'node:stream';
import { GrittyError } from '../../relay/errors.js';
import type { ReusedReads } from '../../relay/reused-reads.js';
import { encodeDataRecord, encodeRecord, type ReceiverRecord, type SenderRecord } from './format.js';
import type { RecordDecoder } from './record-decoder.js';

/**
 * Records parsed ahead of the reader before the stream is paused: about 2 MiB of data
 * records, enough to keep a disk busy, bounded so a fast peer cannot fill memory.
 */
const HIGH_WATER_RECORDS = 32;
const LOW_WATER_RECORDS = 8;

/**
 * One end of a transfer stream: validated records in (pull, bounded), records out
 * (awaiting drain, so a caller that awaits each write never queues without bound).
 */
export class RecordStream<In> {
  private readonly queue: In[] = [];
  private failure: Error | undefined;
  private ended = false;
  private discarding = false;
  private wake: (() => void) | undefined;
  private stopped: Error | undefined;
  private interrupt: ((err: Error) => void) | undefined;
  private readonly interrupted: Promise<never>;

  constructor(
    readonly stream: Duplex,
    private readonly decoder: RecordDecoder<In>,
    /** Who is at the other end, for messages: 'sender' or 'receiver'. */
    private readonly peer: 'sender' | 'receiver',
    /** The reads of `stream`, when it was made with them: decoded as they come, instead of as 'data'. */
    reads?: ReusedReads,
  ) {
    this.interrupted = new Promise<never>((_, reject) => {
      this.interrupt = reject;
    });
    this.interrupted.catch(() => undefined);
    if (reads === undefined) stream.on('data', (chunk: Buffer) => this.onData(chunk, false));
    else {
      reads.direct((view) => this.onData(view, true));
      // what a 'data' listener does: a stream nobody paused flows, so that 'end' is emitted
      if (stream.readableFlowing === null) stream.resume();
    }
    stream.on('end', () => {
      if (this.decoder.midFrame) this.fail(new GrittyError('connection-lost', `the ${peer} went away in the middle of a record`));
      this.ended = true;
      this.notify();
    });
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(this.gone(err)));
    stream.on('close', () => {
      if (!this.ended) this.fail(this.gone());
    });
  }

  /** The next record, or undefined when the peer ended cleanly between records. */
  async next(): Promise<In | undefined> {
    for (;;) {
      const record = this.queue.shift();
      if (record !== undefined) {
        if (this.queue.length <= LOW_WATER_RECORDS && this.stream.isPaused()) this.stream.resume();
        return record;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The records already read that pass `test`, from the front of the queue up to the first that does not. */
  takeQueued<T extends In>(test: (record: In) => record is T): T[] {
    let count = 0;
    while (count < this.queue.length && test(this.queue[count]!)) count += 1;
    const taken = this.queue.splice(0, count) as T[];
    if (count > 0 && this.queue.length <= LOW_WATER_RECORDS && this.stream.isPaused()) this.stream.resume();
    return taken;
  }

  /** Writes one record; resolves once the stream can take more. */
  async write(record: SenderRecord | ReceiverRecord): Promise<void> {
    if (this.stopped !== undefined) throw this.stopped;
    return this.writeLast(record);
  }

  /** Writes the last record of our side (an abort), even after stopWriting(). */
  async writeLast(record: SenderRecord | ReceiverRecord): Promise<void> {
    if (this.stream.destroyed || this.stream.writableEnded) {
      throw this.failure ?? this.gone();
    }
    const [header, body] = encodeRecord(record);
    this.stream.cork();
    this.stream.write(header);
    const flowing = this.stream.write(body);
    this.stream.uncork();
    if (flowing) return;
    await Promise.race([this.drained(), this.interrupted]);
  }

  /**
   * Writes each of `chunks` (at most MAX_CHUNK_BYTES) as a data record, in one go, and
   * resolves once the stream has written them all out: only then may the caller reuse
   * their memory, as they are written without being copied.
   */
  async writeData(chunks: readonly Buffer[]): Promise<void> {
    if (this.stopped !== undefined) throw this.stopped;
    if (this.stream.destroyed || this.stream.writableEnded) throw this.failure ?? this.gone();
    if (chunks.length === 0) return;
    const written = new Promise<void>((resolve, reject) => {
      const onClose = (): void => reject(this.failure ?? this.gone());
      this.stream.once('close', onClose);
      this.stream.cork();
      chunks.forEach((chunk, i) => {
        const [head, data] = encodeDataRecord(chunk);
        this.stream.write(head);
        if (i < chunks.length - 1) this.stream.write(data);
        else
          this.stream.write(data, (err) => {
            this.stream.off('close', onClose);
            if (err) onClose();
            else resolve();
          });
      });
      this.stream.uncork();
    });
    await Promise.race([written, this.interrupted]);
  }

  /** Makes a pending or later write() reject with `err`: the peer aborted, stop sending. */
  stopWriting(err: Error): void {
    this.stopped ??= err;
    this.interrupt?.(err);
  }

  /** Ends our side once everything written is flushed (or the stream is gone). */
  async end(): Promise<void> {
    if (this.stream.writableEnded || this.stream.destroyed) return;
    await new Promise<void>((resolve) => {
      this.stream.once('close', resolve);
      this.stream.end(() => {
        this.stream.off('close', resolve);
        resolve();
      });
    });
  }

  /**
   * Reads no more records: whatever else the peer sends is dropped, so a peer still
   * writing (it has not yet read our abort) is never left blocked on a full stream.
   */
  discardRest(): void {
    this.discarding = true;
    this.queue.length = 0;
    this.stream.resume();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        this.stream.off('drain', onDrain);
        this.stream.off('close', onClose);
      };
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(this.failure ?? this.gone());
      };
      this.stream.on('drain', onDrain);
      this.stream.on('close', onClose);
    });
  }

  /** `lent`: the chunk's memory is reused once this returns. */
  private onData(chunk: Buffer, lent: boolean): void {
    if (this.failure !== undefined || this.discarding) return;
    const deliver = (record: In): void => void this.queue.push(record);
    try {
      if (lent) this.decoder.pushLent(chunk, deliver);
      else this.decoder.push(chunk, deliver);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (this.queue.length >= HIGH_WATER_RECORDS) this.stream.pause();
    this.notify();
  }

  private gone(cause?: NodeJS.ErrnoException): GrittyError {
    const why = cause === undefined ? '' : ` (${cause.code ?? cause.message})`;
    return new GrittyError('connection-lost', `the ${this.peer} went away in the middle of the transfer${why}`, { cause });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
