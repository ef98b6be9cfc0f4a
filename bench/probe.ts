import { OuterTerminal } from './outer-terminal.js';
import type { Peer, PeerSession } from './peers.js';
import { sleep } from './stats.js';

/** One peer's session running a workload, viewed through an outer terminal that has seen READY. */
export interface Probe {
  peer: Peer;
  session: PeerSession;
  term: OuterTerminal;
}

/** Time for the repaint that follows an attach to finish before anything is timed. */
const SETTLE_MS = 300;

/**
 * Opens `script` (which prints READY when it is set up) in every peer and attaches
 * to each. Peers that fail are left out, with the reason added to `skipped`. All
 * probes stay open so a benchmark can interleave peers: load from other processes
 * on a shared machine then falls on every peer alike.
 */
export async function openProbes(peers: Peer[], script: string, what: string, skipped: string[]): Promise<Probe[]> {
  const probes: Probe[] = [];
  for (const peer of peers) {
    let session: PeerSession | undefined;
    let term: OuterTerminal | undefined;
    try {
      session = await peer.open(script);
      term = new OuterTerminal(session.client);
      await term.waitFor('READY', 20_000);
      probes.push({ peer, session, term });
    } catch (err) {
      skipped.push(`${what}, ${peer.name}: ${(err as Error).message}`);
      term?.close();
      session?.close();
    }
  }
  await sleep(SETTLE_MS);
  return probes;
}

export function closeProbes(probes: Probe[]): void {
  for (const probe of probes) {
    probe.term.close();
    probe.session.close();
  }
}
