import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Joins a local socket and a channel stream both ways with backpressure: a stalled
 * reader at either end stops the writer at the other. EOF travels on its own in each
 * direction (half-close); an error or reset at either end closes both. Resolves once
 * both directions are done, whichever way they ended.
 */
export async function splice(local: Duplex, channel: Duplex): Promise<void> {
  await Promise.allSettled([pipeline(local, channel), pipeline(channel, local)]);
}
