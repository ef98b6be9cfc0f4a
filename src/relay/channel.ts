import { Duplex, type Writable } from 'node:stream';
import { GrittyError } from './errors.js';
import type { Scalar } from './schema.js';
import { ReceiveCursor, SendWindow } from './send-window.js';

export type ChannelParams = Record<string, Scalar>;

/**
 * The send ring holds a window plus this much: what one write may add once the window
 * is nearly full. A socket read is at most 64 KiB, so a forwarded socket's chunks always
 * fit; a larger write is copied on its own.
 */
const RING_SLACK_BYTES = 64 * 1024;

/**
 * opening: this side asked, the other has not answered. accepting: the other side
 * asked, this side is deciding. open: both ends may send.
 */
export type ChannelPhase = 'opening' | 'accepting' | 'open';

/** Where our own end of the stream stands. */
type EofOut = 'none' | 'pending' | 'sent' | 'acked';

/** What a channel needs of the multiplexer that carries it. */
export interface ChannelCarrier {
  /** Data or an end of stream is waiting to be sent. */
  wake(): void;
  /** The reader took data (or the end) out of the channel: an acknowledgement may be due. */
  consumed(channel: Channel): void;
  /** The stream was destroyed on this side; `reason` is for the peer. */
  closedHere(channel: Channel, reason: string | undefined): void;
}

/**
 * One channel as a byte stream: what is written goes out with offsets and is held
 * until the peer acknowledges it (at most the window in flight); what arrives is
 * pushed to the reader and acknowledged once read. The write callback waits while
 * the window is full, so a producer piped in stops reading its source.
 */
export class Channel extends Duplex {
  readonly out: SendWindow;
  readonly in = new ReceiveCursor(0);
  phase: ChannelPhase;
  eofOut: EofOut = 'none';
  /** The offset at which the peer's stream ends, once it said so. */
  eofIn: number | undefined;
  /** Consumed offset (and end) last reported to the peer. */
  reported = { offset: 0, eof: false };
  private blockedWrite: (() => void) | undefined;
  /** Told once when the window has room again after `sendNow` filled it. */
  private spaceWaiter: (() => void) | undefined;
  /** Where arriving data goes instead of the readable side, once `divert` named it. */
  private sink: Writable | undefined;
  /**
   * A sink's write done: its bytes left the queue, an acknowledgement may be due. One
   * function for every write, so Node batches the callbacks of writes done at once.
   */
  private readonly sinkTook = (): void => this.carrier.consumed(this);
  private finalCallback: (() => void) | undefined;
  private closedByPeer = false;

  constructor(
    readonly id: number,
    readonly kind: string,
    readonly params: ChannelParams,
    phase: ChannelPhase,
    window: number,
    private readonly carrier: ChannelCarrier,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: window, writableHighWaterMark: window });
    this.phase = phase;
    this.out = new SendWindow(0, window, window + RING_SLACK_BYTES);
    this.once('end', () => carrier.consumed(this));
    // The peer can close a channel with a reason before its opener has it (an accept and
    // a close in one read: the destroy's 'error' comes on the next tick, the opener's
    // promise after). Whoever takes the channel listens for itself; unheard, the reason
    // would be an uncaught exception.
    this.on('error', () => undefined);
  }

  /** Bytes of the peer's stream that the reader has taken (a sink: that left its write queue). */
  get consumedOffset(): number {
    return this.in.received - this.readableLength - (this.sink?.writableLength ?? 0);
  }

  get eofConsumed(): boolean {
    return this.readableEnded && (this.sink === undefined || this.sink.writableFinished);
  }

  /**
   * Sends `data` (copied: the caller may reuse it) without the writable side's queue,
   * for a producer that handles backpressure itself. Returns whether the window has
   * room left; once it has not, `whenSpace` says when it has again. Not to be mixed
   * with write() on the same channel, whose queued bytes it would overtake.
   */
  sendNow(data: Buffer): boolean {
    this.out.push(data);
    this.carrier.wake();
    return this.out.space > 0;
  }

  /** Calls `callback` once the window has room again (at once if it has). */
  whenSpace(callback: () => void): void {
    if (this.out.space > 0) callback();
    else this.spaceWaiter = callback;
  }

  /**
   * Writes what arrives straight to `sink` from now on (and what is buffered now
   * first), instead of through the readable side and a pipe: one stream hop less per
   * chunk. A byte counts as consumed once it has left the sink's write queue, so the
   * peer's window still bounds what the sink holds. The sink is ended after the
   * peer's end, and destroyed when the channel fails or closes before that end; a
   * sink that fails or closes first destroys the channel.
   */
  divert(sink: Writable): void {
    const buffered = super.read() as Buffer | null;
    this.sink = sink;
    if (buffered !== null) sink.write(buffered, this.sinkTook);
    sink.once('finish', () => this.carrier.consumed(this));
    const gone = (err?: Error): void => {
      if (!sink.writableFinished && !this.destroyed) this.destroy(err ?? new Error('the local end closed'));
    };
    sink.once('error', gone);
    sink.once('close', () => gone());
    // the readable side carries no data now, only its end: flowing, it ends once the peer's end came
    this.resume();
    if (this.eofIn !== undefined) sink.end();
    this.carrier.consumed(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.out.push(chunk);
    this.carrier.wake();
    if (this.out.space > 0) callback();
    else this.blockedWrite = callback;
  }

  /** 'finish' only once the peer has read our end: every byte written is then delivered. */
  override _final(callback: (error?: Error | null) => void): void {
    this.eofOut = 'pending';
    this.finalCallback = callback;
    this.carrier.wake();
  }

  override _read(): void {
    // data is pushed as it arrives; consumption is seen in read()
  }

  /** Every way of consuming (a 'data' listener, pipe, read()) goes through here: report what was taken. */
  override read(size?: number): unknown {
    const chunk: unknown = super.read(size);
    if (chunk !== null) this.carrier.consumed(this);
    return chunk;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.closedByPeer) this.carrier.closedHere(this, error?.message);
    this.blockedWrite = undefined;
    this.spaceWaiter = undefined;
    this.finalCallback = undefined;
    // after the peer's end the sink is left to write out what it holds
    if (this.sink !== undefined && (error !== null || this.eofIn === undefined)) this.sink.destroy(error ?? undefined);
    callback(error);
  }

  /** The peer acknowledged consuming everything before `offset` (and the end, with `eof`). */
  onAck(offset: number, eof: boolean): void {
    this.out.ack(offset);
    if (eof && this.eofOut === 'sent' && this.out.acked === this.out.end) {
      this.eofOut = 'acked';
      const done = this.finalCallback;
      this.finalCallback = undefined;
      done?.();
    }
    if (this.out.space <= 0) return;
    const waiters = [this.blockedWrite, this.spaceWaiter];
    this.blockedWrite = undefined;
    this.spaceWaiter = undefined;
    for (const resume of waiters) resume?.();
  }

  /** Data from the peer; a resend of what arrived before is dropped. */
  deliver(offset: number, data: Buffer): void {
    if (this.eofIn !== undefined && offset + data.length > this.eofIn) {
      throw new GrittyError('bad-message', `channel ${this.id}: data past the end of its stream`);
    }
    const fresh = this.in.accept(offset, data);
    if (fresh === undefined || this.destroyed) return;
    if (this.in.received - this.consumedOffset > this.out.capacity + fresh.length) {
      throw new GrittyError('bad-message', `channel ${this.id}: the peer sent past its window`);
    }
    if (this.sink !== undefined) this.sink.write(fresh, this.sinkTook);
    else this.push(fresh);
    // a flowing reader with nothing buffered gets the data inside push(), never through read()
    this.carrier.consumed(this);
  }

  /** The peer's stream ends at `offset`. */
  deliverEof(offset: number): void {
    if (this.eofIn !== undefined) return;
    if (offset !== this.in.received) {
      throw new GrittyError('bad-message', `channel ${this.id}: end of stream at ${offset}, but ${this.in.received} bytes arrived`);
    }
    this.eofIn = offset;
    if (this.destroyed) return;
    this.push(null);
    this.sink?.end();
  }

  /** The peer closed the channel: with a reason it failed, without one it just ended. */
  closeFromPeer(reason: string | undefined): void {
    if (this.destroyed) return;
    this.closedByPeer = true;
    this.destroy(reason === undefined ? undefined : new GrittyError('channel-closed', reason));
  }
}
