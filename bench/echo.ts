import { OuterTerminal } from './outer-terminal.js';
import type { Peer } from './peers.js';
import { nowMs, quantile, sleep } from './stats.js';

/** A raw echo in the session: each byte typed comes straight back, with no line discipline in between. */
export const ECHO_SCRIPT = `stty raw -echo; printf 'READY'; exec cat`;
/** The byte typed: no escape sequence a multiplexer might emit contains it. */
const KEY = 'x';

export interface EchoOptions {
  samples: number;
  warmup: number;
  /** Pause between samples, so each one is a lone keystroke and not part of a burst. */
  gapMs: number;
}

export interface EchoResult {
  peer: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/**
 * Keystroke echo round trip: one byte written into the outer PTY, timed until it
 * comes back out of it, through the peer's client, server and the session's PTY.
 */
export async function measureEcho(peer: Peer, options: EchoOptions): Promise<EchoResult> {
  const session = await peer.open(ECHO_SCRIPT);
  const term = new OuterTerminal(session.client);
  try {
    await term.waitFor('READY', 20_000).catch(async (err: Error) => {
      throw new Error(`${peer.name}: session never became ready: ${err.message}`);
    });
    await sleep(200); // let a repaint that follows the attach finish
    const samples: number[] = [];
    for (let i = 0; i < options.warmup + options.samples; i++) {
      const echoed = term.waitFor(KEY, 5_000);
      const sent = nowMs();
      term.write(KEY);
      const at = await echoed;
      if (i >= options.warmup) samples.push(at - sent);
      await sleep(options.gapMs * (0.5 + Math.random()));
    }
    return {
      peer: peer.name,
      samples: samples.length,
      p50Ms: quantile(samples, 0.5),
      p99Ms: quantile(samples, 0.99),
      meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    };
  } finally {
    term.close();
    session.close();
  }
}
