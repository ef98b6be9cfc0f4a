import type { Socket } from 'node:net';
import { decode, encode } from '../relay/codec.js';
import { wireError } from '../relay/connection.js';
import { GrittyError } from '../relay/errors.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, frameHeader } from '../relay/frame.js';
import type { Message } from '../relay/messages.js';
import { validate } from '../relay/validate.js';

/**
 * Pairing ends a framed conversation whose next bytes are the transfer's own, and
 * the peer may send those at once. A Connection decodes every frame that arrives, so
 * it would take the transfer's first record for a message; these read exactly one
 * frame off a socket and put whatever followed it back, the socket paused.
 */

/** `ok` as the bytes of one frame: how a pairing is proposed, taken and announced. */
export const OK_FRAME: Buffer = frame({ type: 'ok' });

function frame(msg: Message): Buffer {
  const body = encode(msg);
  return Buffer.concat([frameHeader(body.length), body]);
}

/**
 * The next frame on `socket` (read by nobody else), as a message; an `error` frame
 * rejects with the peer's error. Rejects on timeout or when the socket ends. The
 * socket is left paused, holding whatever came after the frame, for its next reader
 * to resume.
 */
export function readOneFrame(socket: Socket, timeoutMs: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    let held: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => settle(() => reject(new GrittyError('timeout', `no answer within ${timeoutMs / 1000} s`))), timeoutMs);
    const gone = (): void => settle(() => reject(new GrittyError('connection-lost', 'the other side closed the connection')));
    const onError = (err: Error): void => settle(() => reject(new GrittyError('connection-lost', err.message, { cause: err })));
    const onData = (chunk: Buffer): void => {
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      if (held.length < FRAME_HEADER_BYTES) return;
      const length = held.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        settle(() => reject(new GrittyError('frame-too-large', `frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`)));
        return;
      }
      const end = FRAME_HEADER_BYTES + length;
      if (held.length < end) return;
      const body = held.subarray(FRAME_HEADER_BYTES, end);
      const rest = held.subarray(end);
      settle(() => {
        if (rest.length > 0) socket.unshift(rest);
        try {
          const msg = validate(decode(body));
          if (msg.type === 'error') reject(wireError(msg));
          else resolve(msg);
        } catch (err) {
          reject(err);
        }
      });
    };
    let settled = false;
    function settle(outcome: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // paused before anything else: nothing after the frame may be emitted with no reader to take it
      socket.pause();
      socket.off('data', onData);
      socket.off('end', gone);
      socket.off('close', gone);
      socket.off('error', onError);
      outcome();
    }
    socket.on('data', onData);
    socket.on('end', gone);
    socket.on('close', gone);
    socket.on('error', onError);
    socket.resume();
  });
}

/** readOneFrame, insisting on `ok`. */
export async function readOk(socket: Socket, timeoutMs: number): Promise<void> {
  const msg = await readOneFrame(socket, timeoutMs);
  if (msg.type !== 'ok') throw new GrittyError('bad-message', `expected ok, got ${msg.type}`);
}
