import type { ForwardEchoResult } from './forward-echo.js';
import type { ForwardThroughputResult } from './forward-throughput.js';
import type { SilentTypingSample } from './silent-typing.js';
import { fixed, median, ratio } from './stats.js';

/** What the link and forwarding benchmarks measured; a part left out by BENCH_ONLY (or failed) is undefined. */
export interface LinkResults {
  silentTyping: SilentTypingSample[] | undefined;
  forwardEcho: ForwardEchoResult | undefined;
  forwardThroughput: ForwardThroughputResult | undefined;
}

/** Issue 7: "someone typing into a silent network sees the typed text delivered, exactly once, within about 6 s". */
export const SILENT_TYPED_DELIVERED_MS = 6_000;
/** Issues 7 and 8: echo p99 while a channel is saturated at most this times idle p99. */
export const SATURATED_ECHO_P99_FACTOR = 2;
/** Issue 8: port-forward throughput at least this share of `ssh -L`'s. */
export const FORWARD_THROUGHPUT_SHARE = 0.8;

const MB = 1024 * 1024;

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? '**met**' : '**missed**';
}

function targets(r: LinkResults, silentUsableMs: number[]): string[] {
  const typed = r.silentTyping;
  const worstTyped = typed === undefined || typed.length === 0 ? undefined : Math.max(...typed.map((s) => s.deliveredMs));
  const counts = typed?.map((s) => s.count) ?? [];
  const once = counts.every((c) => c === 1);
  const e = r.forwardEcho;
  const t = r.forwardThroughput;
  const g = t && median(t.gritty);
  const s = t && median(t.ssh);
  const usable = silentUsableMs.length > 0 ? `; time until usable (retyping) ${fixed(median(silentUsableMs), 0)} ms` : '';
  return [
    '| Target | Measured | |',
    '|---|---|---|',
    `| Text typed into a silent network delivered exactly once within about ${SILENT_TYPED_DELIVERED_MS / 1000} s | ${worstTyped === undefined ? 'n/a' : `${fixed(worstTyped, 0)} ms (worst of ${typed!.length}), received ${counts.join(', ')}×${usable}`} | ${verdict(worstTyped === undefined ? undefined : worstTyped <= SILENT_TYPED_DELIVERED_MS && once)} |`,
    `| Echo p99 with a saturated forward at most ${SATURATED_ECHO_P99_FACTOR}× idle p99 | ${e === undefined ? 'n/a' : `saturated p99 ${fixed(e.saturated.p99Ms, 3)} ms vs idle p99 ${fixed(e.idle.p99Ms, 3)} ms (${ratio(e.saturated.p99Ms, e.idle.p99Ms)})`} | ${verdict(e && e.saturated.p99Ms <= SATURATED_ECHO_P99_FACTOR * e.idle.p99Ms)} |`,
    `| Port-forward throughput at least ${FORWARD_THROUGHPUT_SHARE * 100}% of \`ssh -L\` | ${t === undefined ? 'n/a' : `gritty lf ${fixed(g! / MB, 1)} MB/s vs ssh -L ${fixed(s! / MB, 1)} MB/s (${ratio(g, s)})`} | ${verdict(t && g! >= FORWARD_THROUGHPUT_SHARE * s!)} |`,
  ];
}

function partRow(what: string, values: (number | undefined)[]): string {
  const known = values.filter((v): v is number => v !== undefined);
  return `| ${what} | ${known.length > 0 ? `${fixed(median(known), 0)} ms` : 'n/a'} | ${values.map((v) => (v === undefined ? '?' : v.toFixed(0))).join(', ')} | |`;
}

function silentTable(samples: SilentTypingSample[], silentUsableMs: number[]): string[] {
  return [
    '| Figure (the tunnel\'s `sshd -i` SIGSTOPped) | Median | Samples (ms) | Times received |',
    '|---|---:|---|---|',
    `| one line typed once, until its output appears | ${fixed(median(samples.map((s) => s.deliveredMs)), 0)} ms | ${samples.map((s) => s.deliveredMs.toFixed(0)).join(', ')} | ${samples.map((s) => `${s.count}×`).join(', ')} |`,
    partRow('of which: until the client declared the link dead (the supervisor logs its nudge)', samples.map((s) => s.nudgedMs)),
    partRow('of which: until the replacement tunnel was healthy', samples.map((s) => s.healthyMs)),
    silentUsableMs.length > 0
      ? `| time until usable, retyping every 50 ms (recovery.ts) | ${fixed(median(silentUsableMs), 0)} ms | ${silentUsableMs.map((v) => v.toFixed(0)).join(', ')} | |`
      : '| time until usable, retyping every 50 ms (recovery.ts) | not run | | |',
  ];
}

function echoTable(e: ForwardEchoResult): string[] {
  const row = (what: string, f: ForwardEchoResult['idle']): string =>
    `| ${what} | ${fixed(f.p50Ms, 3)} | ${fixed(f.p99Ms, 3)} | ${fixed(f.meanMs, 3)} | ${f.samples} | ${ratio(f.p99Ms, e.idle.p99Ms)} |`;
  return [
    '| gritty over ssh, `gritty lf` channel open | p50 ms | p99 ms | mean ms | samples | p99 ÷ idle p99 |',
    '|---|---:|---:|---:|---:|---:|',
    row('idle (stream server stopped, channel drained)', e.idle),
    row(`saturated (stream flowing at ${fixed(e.streamBytesPerSec / MB, 1)} MB/s)`, e.saturated),
  ];
}

function throughputTable(t: ForwardThroughputResult): string[] {
  const ssh = median(t.ssh);
  const row = (what: string, runs: number[]): string => `| ${what} | ${fixed(median(runs) / MB, 1)} | ${runs.map((v) => (v / MB).toFixed(0)).join(', ')} | ${ratio(median(runs), ssh)} |`;
  return [
    `| Path (one ${fixed(t.bytes / MB, 0)} MiB stream) | MB/s (median) | Runs (MB/s) | ÷ ssh -L |`,
    '|---|---:|---|---:|',
    row('`gritty lf` (session host listens, laptop connects)', t.gritty),
    row('`ssh -N -L` to the same sshd', t.ssh),
  ];
}

function cpuTable(t: ForwardThroughputResult): string[] {
  const roles = [...new Set([...t.grittyCpuMsPerMiB.keys(), ...t.sshCpuMsPerMiB.keys()])];
  const cell = (m: Map<string, number>, role: string): string => (m.has(role) ? fixed(m.get(role), 1) : '–');
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  return [
    '| Process | `gritty lf` path, CPU ms per MiB | `ssh -L` path, CPU ms per MiB |',
    '|---|---:|---:|',
    ...roles.map((role) => `| ${role} | ${cell(t.grittyCpuMsPerMiB, role)} | ${cell(t.sshCpuMsPerMiB, role)} |`),
    `| total | ${fixed(sum(t.grittyCpuMsPerMiB), 1)} | ${fixed(sum(t.sshCpuMsPerMiB), 1)} |`,
  ];
}

/** The "Link and port forwards" section's body; `silentUsableMs` is recovery.ts's silent-network figure from the same run. */
export function renderLink(r: LinkResults, silentUsableMs: number[]): string[] {
  const notRun = ['Not run (BENCH_ONLY) or failed (see the end of this report).'];
  return [
    '### Targets (issues 7 and 8)',
    '',
    ...targets(r, silentUsableMs),
    '',
    '### Typing into a silent network',
    '',
    ...(r.silentTyping !== undefined && r.silentTyping.length > 0 ? silentTable(r.silentTyping, silentUsableMs) : notRun),
    '',
    '### Keystroke echo while a forward is saturated',
    '',
    ...(r.forwardEcho !== undefined ? echoTable(r.forwardEcho) : notRun),
    '',
    '### Port-forward throughput',
    '',
    ...(r.forwardThroughput !== undefined ? throughputTable(r.forwardThroughput) : notRun),
    ...(r.forwardThroughput !== undefined ? ['', 'Where the CPU went during the timed runs (user + system, all threads, from /proc):', '', ...cpuTable(r.forwardThroughput)] : []),
  ];
}
