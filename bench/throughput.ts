import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CpuTally, type Account, type CpuShare } from './cpu.js';
import { closeProbes, openProbes, type Probe } from './probe.js';
import type { Peer } from './peers.js';
import { listProcesses } from './processes.js';
import { median, nowMs, sleep, spread, type Spread } from './stats.js';

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
  /** Payload bytes per second: median, extremes and coefficient of variation over runs. */
  spread: Spread;
  /** CPU ms per MiB of payload over the timed runs, process by process, with the workload and the outer terminal's reader. */
  cpu: CpuShare[];
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
  let probes: Probe[] = [];
  const accounts = new Map<Probe, Account[]>();
  for (const [i, peer] of peers.entries()) {
    const token = `${WORKLOAD_MARK}-${process.pid}-${i}`;
    const script = `: ${token}; stty -echo; printf 'READY\\n'; n=0; while read x; do n=$((n+1)); cat '${options.payload}'; ${MARKER_SCRIPT}; done`;
    const opened = await openProbes([peer], script, 'throughput', skipped);
    for (const probe of opened) accounts.set(probe, accountsOf(probe, token, skipped));
    probes.push(...opened);
  }
  const runs = new Map(probes.map((p) => [p, { rates: [] as number[], delivered: [] as number[], cpu: new CpuTally() }]));
  try {
    // run 1 warms caches and JITs and is not counted
    for (let n = 1; n <= options.runs + 1; n++) {
      for (const probe of [...probes]) {
        await probe.session.beforeTurn?.();
        const done = probe.term.waitFor(marker(n), options.timeoutMs);
        const before = probe.term.bytes;
        const timed = async (): Promise<number> => {
          const start = nowMs();
          probe.term.write('\r');
          return (await done) - start;
        };
        let elapsedMs: number;
        try {
          elapsedMs = n === 1 ? await timed() : await runs.get(probe)!.cpu.during(accounts.get(probe)!, () => timed().then(async (ms) => (await sleep(CPU_SETTLE_MS), ms)));
        } catch (err) {
          skipped.push(`throughput, ${probe.peer.name}: ${(err as Error).message}`);
          probes = probes.filter((p) => p !== probe);
          closeProbes([probe]);
          continue;
        }
        if (n === 1) continue;
        const seconds = elapsedMs / 1000;
        runs.get(probe)!.rates.push(options.payloadBytes / seconds);
        runs.get(probe)!.delivered.push((probe.term.bytes - before) / seconds);
      }
    }
    return probes.map((probe) => {
      const { rates, delivered, cpu } = runs.get(probe)!;
      const r = {
        peer: probe.peer.name,
        runs: rates,
        medianBytesPerSec: median(rates),
        spread: spread(rates),
        medianDeliveredPerSec: median(delivered),
        cpu: cpu.perMiB(options.payloadBytes * rates.length),
      };
      const cpuText = r.cpu.map((c) => `${c.role} ${c.msPerMiB.toFixed(1)}`).join(', ');
      log(`throughput ${r.peer}: ${(r.medianBytesPerSec / MB).toFixed(1)} MB/s payload (${(r.spread.min / MB).toFixed(1)}–${(r.spread.max / MB).toFixed(1)}, CV ${(r.spread.cv * 100).toFixed(0)}%), ${(r.medianDeliveredPerSec / MB).toFixed(1)} MB/s delivered; CPU ms/MiB: ${cpuText}`);
      return r;
    });
  } finally {
    closeProbes(probes);
  }
}

const MB = 1024 * 1024;

/**
 * The end of run n, printed by the session after the payload. Odd and even runs differ
 * in every character: mosh sends only the screen cells that changed since the frame
 * the client has, and under load its frame of run n-1's end can be the last it had.
 */
export function marker(n: number): string {
  return n % 2 === 1 ? `__done_${n}__` : `--DONE=${String(n).replace(/\d/g, (d) => String.fromCharCode(97 + Number(d)))}--`;
}
export const MARKER_SCRIPT = `if [ $((n % 2)) -eq 1 ]; then printf '\\n__done_%d__\\n' "$n"; else printf '\\n--DONE=%s--\\n' "$(echo "$n" | tr 0-9 a-j)"; fi`;
/** CPU is read this long after the marker is out, so work a process does after passing it on (the daemon's emulator catching up) counts; the rate is timed without it. */
const CPU_SETTLE_MS = 250;
/** Starts the throughput script of each peer (with the bench's pid and the peer's index), so its shell can be found for its CPU time. */
const WORKLOAD_MARK = 'gritty-bench-workload';

/**
 * The processes of one probe's path: the peer's own, the session's shell (with the
 * `cat`s it has reaped: a `cat` has exited by the time its marker is out) and this
 * process, the outer terminal's reader. A peer whose processes cannot be found is
 * timed without them.
 */
function accountsOf(probe: Probe, token: string, skipped: string[]): Account[] {
  const matching = listProcesses().filter((p) => p.argv[1] === '-c' && (p.argv[2] ?? '').includes(`: ${token};`));
  // only the innermost: a shell that runs `sh -c '…'` holds the token in its argv too
  const shells = matching.filter((p) => !matching.some((child) => child.ppid === p.pid));
  const common: Account[] = [
    { role: 'workload (`sh`, `cat`)', pids: shells.map((p) => p.pid), children: true },
    { role: 'outer terminal reader (the bench process)', pids: [process.pid] },
  ];
  try {
    return [...probe.session.processes(probe.term.pid), ...common];
  } catch (err) {
    skipped.push(`throughput CPU, ${probe.peer.name}: ${(err as Error).message}`);
    return common;
  }
}
