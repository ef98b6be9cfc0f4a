import type { Duplex } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { Channel } from '../relay/channel.js';

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
export async function splice(local: Duplex, channel: Duplex): Promise<void> {
  if (!(channel instanceof Channel)) {
    await Promise.allSettled([pipeline(local, channel), pipeline(channel, local)]);
    return;
  }
  channel.divert(local);
  await Promise.allSettled([feed(local, channel), finished(local, { readable: false })]);
}

/** The socket's bytes into the channel, pausing the socket while the window is full; its end ends the channel. */
function feed(local: Duplex, channel: Channel): Promise<void> {
  return new Promise((resolve) => {
    const resume = (): void => {
      if (!local.destroyed) local.resume();
    };
    local.on('data', (chunk: Buffer) => {
      if (channel.destroyed || channel.sendNow(chunk)) return;
      local.pause();
      channel.whenSpace(resume);
    });
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
  });
}
