import { closeProbes, openProbes, type Probe } from './probe.js';
import type { Peer } from './peers.js';
import { nowMs, quantile, sleep, spread, type Spread } from './stats.js';

/** A raw echo in the session: each byte typed comes straight back, with no line discipline in between. */
export const ECHO_SCRIPT = `stty raw -echo; printf 'READY'; exec cat`;
/** The byte typed: no escape sequence a multiplexer might emit contains it. */
export const KEY = 'x';
export interface EchoOptions {
  samples: number;
  /** Samples are taken in this many rounds, peers interleaved, so a burst of outside load hits all of them. */
  rounds: number;
  warmup: number;
  /** Mean pause between samples, so each one is a lone keystroke and not part of a burst. */
  gapMs: number;
}

export interface EchoResult {
  peer: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** The p50 of each round: how far one round's figure can stray from another's. */
  roundP50: Spread;
  /**
   * Each round's first keystroke, typed after this peer sat idle through the other
   * peers' turns: p50 over the rounds, and the median idle time before it. A process
   * whose caches went cold meanwhile pays for it on this keystroke.
   */
  afterPause: { p50Ms: number; idleMs: number };
}

/**
 * Keystroke echo round trip: one byte written into the outer PTY, timed until it
 * comes back out of it, through the peer's client, server and the session's PTY.
 */
export async function measureEcho(peers: Peer[], options: EchoOptions, skipped: string[], log: (text: string) => void): Promise<EchoResult[]> {
  const probes = await openProbes(peers, ECHO_SCRIPT, 'echo', skipped);
  try {
    const samples = new Map(probes.map((p) => [p, [] as number[]]));
    const roundP50s = new Map(probes.map((p) => [p, [] as number[]]));
    const firsts = new Map(probes.map((p) => [p, [] as number[]]));
    const idles = new Map(probes.map((p) => [p, [] as number[]]));
    const lastEcho = new Map<Probe, number>();
    const perRound = Math.ceil(options.samples / options.rounds);
    for (let round = -1; round < options.rounds; round++) {
      for (const probe of probes) {
        await probe.session.beforeTurn?.();
        const taken: number[] = [];
        const idle = nowMs() - (lastEcho.get(probe) ?? Number.NaN);
        // round -1 is the warm-up
        for (let i = 0; i < (round < 0 ? options.warmup : perRound); i++) {
          const echoed = probe.term.waitFor(KEY, 5_000);
          const sent = nowMs();
          probe.term.write(KEY);
          const at = await echoed;
          taken.push(at - sent);
          lastEcho.set(probe, at);
          await sleep(options.gapMs * (0.5 + Math.random()));
        }
        if (round < 0) continue;
        samples.get(probe)!.push(...taken);
        roundP50s.get(probe)!.push(quantile(taken, 0.5));
        firsts.get(probe)!.push(taken[0]!);
        idles.get(probe)!.push(idle);
      }
    }
    return probes.map((probe) => {
      const s = samples.get(probe)!;
      const r = { peer: probe.peer.name, samples: s.length, p50Ms: quantile(s, 0.5), p99Ms: quantile(s, 0.99), meanMs: s.reduce((a, b) => a + b, 0) / s.length, roundP50: spread(roundP50s.get(probe)!), afterPause: { p50Ms: quantile(firsts.get(probe)!, 0.5), idleMs: quantile(idles.get(probe)!, 0.5) } };
      log(`echo ${r.peer}: p50 ${r.p50Ms.toFixed(3)} ms (rounds ${r.roundP50.min.toFixed(3)}–${r.roundP50.max.toFixed(3)}, CV ${(r.roundP50.cv * 100).toFixed(0)}%), p99 ${r.p99Ms.toFixed(3)} ms`);
      return r;
    });
  } finally {
    closeProbes(probes);
  }
}
