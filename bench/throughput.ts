import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { closeProbes, openProbes } from './probe.js';
import type { Peer } from './peers.js';
import { median, nowMs } from './stats.js';

export interface ThroughputOptions {
  /** The file the session cats: printable lines, like a big log. */
  payload: string;
  payloadBytes: number;
  runs: number;
  timeoutMs: number;
}

export interface ThroughputResult {
  peer: string;
  runs: number[];
  /** Payload bytes per second, median over runs. */
  medianBytesPerSec: number;
  /** Bytes the outer terminal received per second, median over runs (below the payload rate: the peer skipped output, as screen-state designs do). */
  medianDeliveredPerSec: number;
}

/** Writes `bytes` of numbered 100-byte text lines to `dir`/payload.txt. */
export function makePayload(dir: string, bytes: number): { path: string; bytes: number } {
  const path = join(dir, 'payload.txt');
  const line = (n: number): string => `${String(n).padStart(8, '0')} ${'the quick brown fox jumps over the lazy dog 0123456789 '.repeat(2).slice(0, 90)}\n`;
  const fd = openSync(path, 'w', 0o600);
  const block: string[] = [];
  let written = 0;
  for (let n = 0; written < bytes; n++) {
    const text = line(n);
    block.push(text);
    written += text.length;
    if (block.length === 10_000) writeSync(fd, block.splice(0).join(''));
  }
  writeSync(fd, block.join(''));
  closeSync(fd);
  return { path, bytes: written };
}

/**
 * Output throughput: the session cats the payload and prints a marker; timed from the
 * keystroke that starts it until the marker leaves the outer PTY. Payload bytes over
 * that time, so peers that redraw screens instead of passing bytes are comparable;
 * bytes the outer terminal actually received are reported beside it. Peers take
 * turns run by run, so outside load falls on all of them alike.
 */
export async function measureThroughput(peers: Peer[], options: ThroughputOptions, skipped: string[], log: (text: string) => void): Promise<ThroughputResult[]> {
  const script = `stty -echo; printf 'READY\\n'; n=0; while read x; do n=$((n+1)); cat '${options.payload}'; printf '\\n__done_%d__\\n' "$n"; done`;
  let probes = await openProbes(peers, script, 'throughput', skipped);
  const runs = new Map(probes.map((p) => [p, { rates: [] as number[], delivered: [] as number[] }]));
  try {
    // run 1 warms caches and JITs and is not counted
    for (let n = 1; n <= options.runs + 1; n++) {
      for (const probe of [...probes]) {
        const done = probe.term.waitFor(`__done_${n}__`, options.timeoutMs);
        const before = probe.term.bytes;
        const start = nowMs();
        probe.term.write('\r');
        let end: number;
        try {
          end = await done;
        } catch (err) {
          skipped.push(`throughput, ${probe.peer.name}: ${(err as Error).message}`);
          probes = probes.filter((p) => p !== probe);
          closeProbes([probe]);
          continue;
        }
        if (n === 1) continue;
        const seconds = (end - start) / 1000;
        runs.get(probe)!.rates.push(options.payloadBytes / seconds);
        runs.get(probe)!.delivered.push((probe.term.bytes - before) / seconds);
      }
    }
    return probes.map((probe) => {
      const { rates, delivered } = runs.get(probe)!;
      const r = { peer: probe.peer.name, runs: rates, medianBytesPerSec: median(rates), medianDeliveredPerSec: median(delivered) };
      log(`throughput ${r.peer}: ${(r.medianBytesPerSec / MB).toFixed(1)} MB/s payload, ${(r.medianDeliveredPerSec / MB).toFixed(1)} MB/s delivered`);
      return r;
    });
  } finally {
    closeProbes(probes);
  }
}

const MB = 1024 * 1024;
