import type { Socket } from 'node:net';
import { MAX_CH_DATA_HEAD_BYTES, writeChDataHead } from './ch-data-frame.js';
import { decode, encode } from './codec.js';
import { readDataFrame } from './data-frame.js';
import { GrittyError, isGrittyError } from './errors.js';
import { FRAME_HEADER_BYTES, FrameDecoder, frameHeader } from './frame.js';
import { MAX_ERROR_CHARS, type Message, type MessageOf, type MessageType } from './messages.js';
import { outputFrameParts } from './output-frame.js';
import { SocketReads } from './socket-reads.js';
import { takeOverReads } from './own-reads.js';
import { validate } from './validate.js';

export type MessageHandler = (msg: Message) => void;
export type CloseHandler = (reason: GrittyError | undefined) => void;

/** How long a closed connection waits for the peer to hang up before it is torn down. */
const CLOSE_LINGER_MS = 5_000;
/** Messages held for a handler not yet set; past this the socket is not read until one is. */
const MAX_QUEUED_MESSAGES = 64;
/**
 * Bulk (channel) data is written only while less than this waits in the socket, so a
 * keystroke's echo or a pong never queues behind more than this much of it.
 */
const BULK_LOW_WATER_BYTES = 64 * 1024;
/**
 * Frames up to this size are copied behind their header and written once; a larger
 * body is written beside its header, since copying it would cost more than the writev.
 */
const ONE_BUFFER_MAX_BYTES = 4 * 1024;

/**
 * A Connection on a socket a server accepted, which must have been made with
 * `pauseOnConnect` (nothing read yet): its reads go to the Connection directly, as an
 * attached client's do, when Node lets its handle be taken over (own-reads.ts), and
 * through the socket's stream otherwise. Such a connection cannot be released.
 */
export function acceptedConnection(socket: Socket): Connection {
  const reads = new SocketReads();
  const own = takeOverReads(socket, reads.onread, { allowHalfOpen: socket.allowHalfOpen });
  if (own !== undefined) return new Connection(own, reads);
  socket.resume();
  return new Connection(socket);
}

/**
 * One framed, validated message stream over a socket. Bad input (a broken frame, an
 * oversized length, a malformed message) is answered with an error frame and closes
 * only this connection. Messages that arrive before a handler is set wait for it, a
 * bounded number: past that the socket is paused until a handler takes them.
 */
export class Connection {
  private readonly decoder = new FrameDecoder();
  private handler: MessageHandler | undefined;
  private readonly queued: Message[] = [];
  private readonly closeHandlers: CloseHandler[] = [];
  private closed = false;
  private pausedByOwner = false;
  private closeReason: GrittyError | undefined;

  constructor(
    readonly socket: Socket,
    /** The socket's reads, when it was made with their `onread`: the decoder keeps copies, as frames outlive the read. */
    private readonly direct?: SocketReads,
  ) {
    socket.setNoDelay?.(true);
    direct?.bind((view) => this.take(Buffer.from(view)));
    // with direct reads no 'data' comes, but the listener keeps the stream flowing, so 'end' is still emitted
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    // A daemon's sockets allow half-open connections, so that a peer that stops in the
    // middle of a frame and closes its side still hears why; a clean end is returned.
    // For a client, a daemon (or tunnel) that ends mid-frame is a lost connection.
    socket.on('end', () => {
      if (!socket.allowHalfOpen) return;
      if (this.decoder.midFrame) this.close(new GrittyError('bad-frame', 'the connection ended in the middle of a frame'));
      else socket.end();
    });
    socket.on('error', (err) => this.finish(new GrittyError('connection-lost', err.message, { cause: err })));
    socket.on('close', () => {
      const midFrame = this.decoder.midFrame;
      this.finish(midFrame ? new GrittyError('connection-lost', 'peer went away in the middle of a frame') : undefined);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  setHandler(handler: MessageHandler | undefined): void {
    this.handler = handler;
    while (handler !== undefined && this.handler === handler && this.queued.length > 0) {
      handler(this.queued.shift()!);
    }
    if (this.queued.length < MAX_QUEUED_MESSAGES && this.socket.isPaused() && !this.pausedByOwner) this.socket.resume();
  }

  /** Stops reading from the peer (a consumer further on is backed up) until resume(). */
  pause(): void {
    this.pausedByOwner = true;
    this.socket.pause();
  }

  resume(): void {
    this.pausedByOwner = false;
    if (this.queued.length < MAX_QUEUED_MESSAGES) this.socket.resume();
  }

  /** Whether bulk data may be written now without holding up what matters more. */
  bulkReady(): boolean {
    return !this.closed && this.socket.writableLength < BULK_LOW_WATER_BYTES;
  }

  whenBulkReady(callback: () => void): void {
    if (this.bulkReady()) queueMicrotask(callback);
    else this.socket.once('drain', callback);
  }

  onClose(handler: CloseHandler): void {
    if (this.closed) handler(this.closeReason);
    else this.closeHandlers.push(handler);
  }

  onDrain(callback: () => void): void {
    this.socket.once('drain', callback);
  }

  send(msg: Message): boolean {
    if (this.closed || this.socket.destroyed) return false;
    if (msg.type === 'ch-data') return this.sendChannelData(msg);
    // Everything else is held to the schema the peer checks, so a bug here fails here,
    // not as a peer that refuses the frame. Terminal data is skipped: it is a Buffer and
    // an offset by type, and checking every chunk would tax the hot path for nothing.
    if (msg.type !== 'output' && msg.type !== 'input') checkOutgoing(msg);
    const body = encode(msg);
    if (body.length <= ONE_BUFFER_MAX_BYTES) {
      // a keystroke, an echo, an ack: one buffer and one plain write, not cork, two writes and a writev
      const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
      frame.writeUInt32BE(body.length, 0);
      body.copy(frame, FRAME_HEADER_BYTES);
      return this.socket.write(frame);
    }
    this.socket.cork();
    this.socket.write(frameHeader(body.length));
    const ok = this.socket.write(body);
    this.socket.uncork();
    return ok;
  }

  /**
   * Sends an `output` frame whose data is borrowed, not copied: its bytes must stay as
   * they are until `release` is called, at once when they were copied (a small frame),
   * else once the socket has written them or failed to. The wire is what send() writes.
   */
  sendOutput(offset: number, data: Buffer, ack: number | undefined, release: () => void): boolean {
    const parts = data.length > ONE_BUFFER_MAX_BYTES ? outputFrameParts(offset, data.length, ack) : undefined;
    if (parts === undefined || this.closed || this.socket.destroyed) {
      // an absent ack is left out, not sent as nil: most output frames carry none
      const ok = this.send(ack === undefined ? { type: 'output', offset, data } : { type: 'output', offset, data, ack });
      release();
      return ok;
    }
    this.socket.cork();
    this.socket.write(parts.head);
    let ok = this.socket.write(data, parts.tail === undefined ? release : undefined);
    if (parts.tail !== undefined) ok = this.socket.write(parts.tail, release);
    this.socket.uncork();
    return ok;
  }

  /**
   * Bulk data's own path: its frame head is built by hand and the payload written
   * beside it, neither copied by msgpack nor walked by the schema check (its fields are
   * checked by type and size instead).
   */
  private sendChannelData(msg: MessageOf<'ch-data'>): boolean {
    const { data } = msg;
    const small = data.length <= ONE_BUFFER_MAX_BYTES;
    const frame = Buffer.allocUnsafe(MAX_CH_DATA_HEAD_BYTES + (small ? data.length : 0));
    const headBytes = writeChDataHead(frame, msg.id, msg.offset, data.length);
    if (small) {
      data.copy(frame, headBytes);
      return this.socket.write(frame.subarray(0, headBytes + data.length));
    }
    this.socket.cork();
    this.socket.write(frame.subarray(0, headBytes));
    const ok = this.socket.write(data);
    this.socket.uncork();
    return ok;
  }

  /** Waits for the next message; rejects when the connection closes or the time is up. */
  receive(timeoutMs: number): Promise<Message> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.setHandler(undefined);
        reject(new GrittyError('timeout', `no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.onClose((reason) => {
        clearTimeout(timer);
        reject(reason ?? new GrittyError('connection-lost', 'the connection closed before an answer came'));
      });
      this.setHandler((msg) => {
        clearTimeout(timer);
        this.setHandler(undefined);
        if (msg.type === 'error') reject(wireError(msg));
        else resolve(msg);
      });
    });
  }

  /** receive(), insisting on one message type. */
  async expect<T extends MessageType>(type: T, timeoutMs: number): Promise<MessageOf<T>> {
    const msg = await this.receive(timeoutMs);
    if (msg.type !== type) throw new GrittyError('bad-message', `expected ${type}, got ${msg.type}`);
    return msg as MessageOf<T>;
  }

  /**
   * Stops framing: from here on the socket is a plain byte stream, which the caller
   * owns. Returns it with any bytes that came after the last frame.
   */
  release(): { socket: Socket; rest: Buffer } {
    if (this.direct !== undefined) throw new GrittyError('internal', 'a connection with direct reads cannot hand its socket on');
    this.closed = true;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('end');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.socket.pause();
    return { socket: this.socket, rest: this.decoder.release() };
  }

  /**
   * Resolves once the socket has closed, or after `timeoutMs`. Called before close() by
   * a process about to exit: the peer hangs up only after reading what we sent, and we
   * read on until then. Exiting at once lost the last frames (a detach queued behind
   * channel data, or one the daemon had not read yet: the tunnel's ssh, failing to
   * write to our closed socket, shut the daemon's socket down and the daemon's next
   * write failed with EPIPE, which destroys a socket with its unread bytes).
   */
  hungUp(timeoutMs: number): Promise<void> {
    const { socket } = this;
    if (socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        socket.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      socket.once('close', done);
    });
  }

  /** Ends the connection, first telling the peer why when there is an error. */
  close(reason?: GrittyError): void {
    if (reason !== undefined && !this.closed && !this.socket.destroyed) {
      this.send({ type: 'error', code: reason.code, message: reason.message.slice(0, MAX_ERROR_CHARS) });
    }
    this.finish(reason);
    // Half-close and let the peer hang up. Destroying at once made a frame the peer had
    // in flight (a ping, a keystroke) fail with EPIPE, and its socket then dropped our
    // last frames (exit, detached) unread.
    this.socket.end();
    const linger = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS);
    linger.unref();
    this.socket.once('close', () => clearTimeout(linger));
  }

  /** Bytes read from the socket. */
  private take(chunk: Buffer): void {
    if (this.closed) return;
    let bodies: Buffer[];
    try {
      bodies = this.decoder.push(chunk);
    } catch (err) {
      this.close(toGrittyError(err));
      return;
    }
    for (const body of bodies) {
      let msg: Message;
      try {
        msg = readDataFrame(body) ?? validate(decode(body));
      } catch (err) {
        this.close(toGrittyError(err));
        return;
      }
      if (this.handler !== undefined) this.handler(msg);
      else if (this.queued.push(msg) >= MAX_QUEUED_MESSAGES) this.socket.pause();
      if (this.closed) return;
    }
  }

  private finish(reason: GrittyError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const handler of this.closeHandlers.splice(0)) handler(reason);
  }
}

export function wireError(msg: MessageOf<'error'>): GrittyError {
  return new GrittyError(msg.code as GrittyError['code'], msg.message);
}

function checkOutgoing(msg: Message): void {
  try {
    validate(msg);
  } catch (err) {
    throw new GrittyError('internal', `refusing to send a malformed ${msg.type}: ${(err as Error).message}`, { cause: err });
  }
}

function toGrittyError(err: unknown): GrittyError {
  return isGrittyError(err) ? err : new GrittyError('internal', String(err), { cause: err });
}
