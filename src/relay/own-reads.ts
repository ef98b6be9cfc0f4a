import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';

/**
 * Node 20 lets a socket read into one reused buffer (`onread`) only when the socket is
 * made, and two kinds we read are made by others: a socket `net.Server` accepts, and
 * node-pty's read stream on the PTY master. This moves such a socket's native handle
 * into a new `net.Socket` built with `onread`, so each read skips the Readable's push,
 * emit and nextTick and lands in memory already paged in.
 *
 * It rests on two undocumented parts of Node's lib/net.js (v20): a socket keeps its
 * handle in `_handle`, and `new Socket({ handle, onread, manualStart })` adopts a
 * handle with the `onread` of its options (net.Server makes its sockets that way).
 * test/relay/own-reads.test.ts fails when either changes; when the handle is not where
 * it is expected, or has started reading (bytes may sit in its Readable already),
 * nothing is moved and the caller reads the socket as it is.
 *
 * The new socket starts paused: `resume()` or a 'data' listener starts its reads. The
 * old one keeps no handle; it is destroyed when the new one closes, which is what a
 * net.Server counts its connections by, and its own destroy (node-pty's at exit)
 * destroys the new one.
 */
export function takeOverReads(old: Socket, onread: OnReadOpts, options: Pick<SocketConstructorOpts, 'allowHalfOpen'> = {}): Socket | undefined {
  const holder = old as unknown as { _handle: unknown };
  const handle = holder._handle as { reading?: unknown; readStart?: unknown; useUserBuffer?: unknown } | null | undefined;
  if (typeof handle !== 'object' || handle === null || typeof handle.readStart !== 'function' || typeof handle.useUserBuffer !== 'function') return undefined;
  if (handle.reading === true || old.destroyed) return undefined;
  holder._handle = null;
  // @types/node leaves `handle`, `onread` and `manualStart` out of the constructor's options
  const own = new Socket({ handle, onread, manualStart: true, allowHalfOpen: options.allowHalfOpen } as SocketConstructorOpts);
  own.once('close', () => old.destroy());
  old.prependOnceListener('close', () => own.destroy());
  return own;
}
