import { fixed, median, ratio } from './stats.js';
import type { TransferBenchResult } from './transfer.js';

/** Issue 9: `gritty send` → `gritty receive` at least this share of scp's throughput to the same sshd. */
export const TRANSFER_THROUGHPUT_SHARE = 1;
/** Issue 9: echo p99 while a transfer runs at most this times idle p99. */
export const TRANSFER_ECHO_P99_FACTOR = 2;

const MB = 1024 * 1024;

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? '**met**' : '**missed**';
}

function targets(r: TransferBenchResult): string[] {
  const g = median(r.gritty);
  const s = median(r.scp);
  return [
    '| Target | Measured | |',
    '|---|---|---|',
    `| Throughput at least scp's | gritty send ${fixed(g / MB, 1)} MB/s vs scp ${fixed(s / MB, 1)} MB/s (${ratio(g, s)}) | ${verdict(g >= TRANSFER_THROUGHPUT_SHARE * s)} |`,
    `| Echo p99 during a transfer at most ${TRANSFER_ECHO_P99_FACTOR}× idle | during ${fixed(r.transferring.p99Ms, 3)} ms vs idle ${fixed(r.idle.p99Ms, 3)} ms (${ratio(r.transferring.p99Ms, r.idle.p99Ms)}) | ${verdict(r.transferring.p99Ms <= TRANSFER_ECHO_P99_FACTOR * r.idle.p99Ms)} |`,
  ];
}

function throughputTable(r: TransferBenchResult): string[] {
  const scp = median(r.scp);
  const row = (what: string, runs: number[]): string => `| ${what} | ${fixed(median(runs) / MB, 1)} | ${runs.map((v) => (v / MB).toFixed(0)).join(', ')} | ${ratio(median(runs), scp)} |`;
  return [
    `| Path (one ${fixed(r.bytes / MB, 0)} MiB file, command start to exit) | MB/s (median) | Runs (MB/s) | ÷ scp |`,
    '|---|---:|---|---:|',
    row('`gritty send` on the laptop → `gritty receive` in a session over ssh', r.gritty),
    row('`scp -O` to the same sshd', r.scp),
  ];
}

function cpuTable(r: TransferBenchResult): string[] {
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  return [
    '| Process | CPU ms per MiB |',
    '|---|---:|',
    ...[...r.grittyCpuMsPerMiB].map(([role, ms]) => `| gritty path: ${role} | ${fixed(ms, 2)} |`),
    `| **gritty path, total** | **${fixed(sum(r.grittyCpuMsPerMiB), 2)}** |`,
    ...[...r.scpCpuMsPerMiB].map(([role, ms]) => `| scp path: ${role} | ${fixed(ms, 2)} |`),
    `| **scp path, total** | **${fixed(sum(r.scpCpuMsPerMiB), 2)}** |`,
  ];
}

function echoTable(r: TransferBenchResult): string[] {
  const row = (what: string, f: TransferBenchResult['idle']): string =>
    `| ${what} | ${fixed(f.p50Ms, 3)} | ${fixed(f.p99Ms, 3)} | ${fixed(f.meanMs, 3)} | ${f.samples} | ${ratio(f.p99Ms, r.idle.p99Ms)} |`;
  return [
    '| gritty over ssh, the transfer session | p50 ms | p99 ms | mean ms | samples | p99 ÷ idle p99 |',
    '|---|---:|---:|---:|---:|---:|',
    row('idle (no transfer)', r.idle),
    row('during a `gritty send` into the session', r.transferring),
  ];
}

/** The "File transfer" section's body: targets, throughput, where the CPU went, echo. */
export function renderTransfer(r: TransferBenchResult | string): string[] {
  if (typeof r === 'string') return [`Not measured: ${r}`];
  return [
    'How it is measured (transfer.ts, cpu-sampler.ts): a session over the private sshd runs, in the background, `gritty receive DIR` in a loop, and in the foreground the echo workload; it is attached in an outer terminal. `gritty send FILE --session devbox:transfer` on the laptop and `scp -O FILE devbox:DIR/` take turns on one file of random bytes (`BENCH_TRANSFER_MB`, default 256; `BENCH_TRANSFER_RUNS` timed runs each, default 3, after one untimed run each), each timed from the command\'s start to its exit (pairing and ssh connection setup included) and its copy checked by sha256. CPU is sampled from /proc every 100 ms for every process on each path, so processes that live for one run count too. Then echo is timed as above in ten rounds alternating idle and "a `gritty send` is flowing" (a sample counts only if the sender still ran after it).',
    '',
    '### Targets (issue 9)',
    '',
    ...targets(r),
    '',
    '### Throughput',
    '',
    ...throughputTable(r),
    '',
    'Where the CPU went during the timed runs (user + system, all threads):',
    '',
    ...cpuTable(r),
    '',
    '### Keystroke echo during a transfer',
    '',
    ...echoTable(r),
  ];
}
