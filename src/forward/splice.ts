import type { Duplex } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { Channel } from '../relay/channel.js';
import type { SocketReads } from '../relay/socket-reads.js';

/**
 * Joins a local socket and a channel stream both ways with backpressure: a stalled
 * reader at either end stops the writer at the other. EOF travels on its own in each
 * direction (half-close); an error or reset at either end closes both. Resolves once
 * both directions are done, whichever way they ended.
 *
 * A mux channel skips the stream machinery in between: what arrives is written
 * straight to the socket (`divert`) and what the socket gives goes straight into the
 * send window (`sendNow`), so a chunk costs one stream event at each end instead of a
 * pipe's round of them.
 */
export async function splice(local: Duplex, channel: Duplex, reads?: SocketReads): Promise<void> {
  if (!(channel instanceof Channel)) {
    await Promise.allSettled([reads === undefined ? pipeline(local, channel) : feed(local, channel, reads), pipeline(channel, local)]);
    return;
  }
  channel.divert(local);
  const done = Promise.allSettled([feed(local, channel, reads), finished(local, { readable: false })]);
  // the connection failed while its channel was being opened: its 'close' has been and gone
  if (local.destroyed) channel.destroy(new Error('the local end closed before its channel opened'));
  await done;
}

/**
 * The socket's bytes into the channel, pausing the socket while the window (or a plain
 * stream's buffer) is full; its end ends the channel. A mux channel copies what it is
 * given into its send window, so a reused read buffer is safe; a plain stream gets copies.
 */
function feed(local: Duplex, channel: Duplex, reads: SocketReads | undefined): Promise<void> {
  return new Promise((resolve) => {
    const resume = (): void => {
      if (!local.destroyed) local.resume();
    };
    const take =
      channel instanceof Channel
        ? (data: Buffer): void => {
            if (channel.destroyed || channel.sendNow(data)) return;
            local.pause();
            channel.whenSpace(resume);
          }
        : (data: Buffer): void => {
            if (channel.destroyed || channel.write(reads === undefined ? data : Buffer.from(data))) return;
            local.pause();
            channel.once('drain', resume);
          };
    // with `reads` no 'data' comes, but the listener keeps the socket flowing, so 'end' is still emitted
    local.on('data', take);
    local.once('end', () => {
      if (!channel.destroyed) channel.end();
      resolve();
    });
    // each stream's failure is the other's: the reason goes to the peer as the channel's close
    local.on('error', (err) => channel.destroy(err));
    channel.on('error', () => local.destroy());
    local.once('close', () => {
      if (!local.readableEnded) channel.destroy(new Error('the local end closed'));
      resolve();
    });
    channel.once('close', () => {
      // closed before this side's end (the peer closed it, or it failed): nothing more can reach the peer
      if (!local.readableEnded) local.destroy();
      resolve();
    });
    // a server's socket starts paused (pauseOnConnect) until its channel is ready
    local.resume();
    reads?.bind(take);
  });
}
