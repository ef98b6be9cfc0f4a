import type { OnReadOpts, Socket } from 'node:net';
import { GrittyError } from './errors.js';

/**
 * The buffer every read of such a socket lands in. Larger than libuv's own 64 KiB, so
 * a backlogged socket is drained in a quarter of the reads; allocated once per socket.
 */
const REUSED_READ_BYTES = 256 * 1024;

/**
 * Socket reads into one reused buffer, for a socket that first speaks as a stream
 * (the framed pairing) and then hands its reads to a consumer that takes them as they
 * come. Node otherwise reads each time into freshly allocated memory, which on this VM
 * costs more than the read: ~1.5 ms per MiB against ~0.3 (docs/PERFORMANCE-NOTES.md).
 *
 * Pass `onread` where the socket is made (net.createConnection), then `attach()` it.
 * Until `direct()`, each read is pushed into the socket's Readable as a copy of its
 * own, so 'data', pause() and everything built on them work as for any socket. After
 * `direct()`, each read reaches the consumer as a view of the reused buffer, valid only
 * until the consumer returns. pause() and resume() still stop and start the reads;
 * 'end' and 'close' come as usual.
 */
export class ReusedReads {
  private readonly buffer = Buffer.allocUnsafe(REUSED_READ_BYTES);
  private socket: Socket | undefined;
  private consumer: ((view: Buffer) => void) | undefined;
  readonly onread: OnReadOpts = {
    buffer: this.buffer,
    callback: (bytes) => this.deliver(this.buffer.subarray(0, bytes)),
  };

  attach(socket: Socket): void {
    this.socket = socket;
  }

  /**
   * From now on every read goes to `consume`, first whatever was read before and not
   * yet taken (as copies, in order). `consume` must copy what it keeps past its return.
   */
  direct(consume: (view: Buffer) => void): void {
    const socket = this.requireSocket();
    this.consumer = consume;
    for (let held = socket.read() as Buffer | null; held !== null; held = socket.read() as Buffer | null) consume(held);
  }

  private deliver(view: Buffer): boolean {
    if (this.consumer !== undefined) {
      this.consumer(view);
      return true;
    }
    // false stops reading until the Readable's reader wants more, as Node's own reads do
    return this.requireSocket().push(Buffer.from(view));
  }

  private requireSocket(): Socket {
    if (this.socket === undefined) throw new GrittyError('internal', 'ReusedReads: attach() the socket first');
    return this.socket;
  }
}
