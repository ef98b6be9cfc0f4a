import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OuterTerminal } from './outer-terminal.js';
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
  /** Bytes the outer terminal received per payload byte (below 1: the peer skipped output, as screen-state designs do). */
  deliveredRatio: number;
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
 * that time, so peers that redraw screens instead of passing bytes are comparable.
 */
export async function measureThroughput(peer: Peer, options: ThroughputOptions): Promise<ThroughputResult> {
  const script = `stty -echo; printf 'READY\\n'; n=0; while read x; do n=$((n+1)); cat '${options.payload}'; printf '\\n__done_%d__\\n' "$n"; done`;
  const session = await peer.open(script);
  const term = new OuterTerminal(session.client);
  try {
    await term.waitFor('READY', 20_000).catch((err: Error) => {
      throw new Error(`${peer.name}: session never became ready: ${err.message}`);
    });
    const runs: number[] = [];
    const delivered: number[] = [];
    // run 1 warms caches and JITs and is not counted
    for (let n = 1; n <= options.runs + 1; n++) {
      const done = term.waitFor(`__done_${n}__`, options.timeoutMs);
      const before = term.bytes;
      const start = nowMs();
      term.write('\r');
      const end = await done;
      if (n === 1) continue;
      runs.push(options.payloadBytes / ((end - start) / 1000));
      delivered.push((term.bytes - before) / options.payloadBytes);
    }
    return { peer: peer.name, runs, medianBytesPerSec: median(runs), deliveredRatio: median(delivered) };
  } finally {
    term.close();
    session.close();
  }
}
