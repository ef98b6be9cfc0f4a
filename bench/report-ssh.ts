import type { EchoResult } from './echo.js';
import type { RecoveryResult } from './recovery.js';
import { SLEEP_MS } from './recovery.js';
import { cpuTable, echoSpreadTable, throughputSpreadTable } from './report-perf.js';
import { fixed, median, ratio } from './stats.js';
import type { ThroughputResult } from './throughput.js';

/** What the over-ssh benchmarks measured; a part left out by BENCH_ONLY is empty or undefined. */
export interface OverSshResults {
  throughput: ThroughputResult[];
  echo: EchoResult[];
  recovery: RecoveryResult | undefined;
}

/** Issue 3's targets. */
export const SSH_THROUGHPUT_SHARE = 0.9;
export const SSH_ECHO_P50_BUDGET_MS = 0.5;
export const KILLED_USABLE_MS = 1_500;
export const WAKE_USABLE_MS = 3_000;

const MB = 1024 * 1024;
const GRITTY = 'gritty over ssh';
const PLAIN = 'plain ssh -tt';

function find<T extends { peer: string }>(rows: T[], peer: string): T | undefined {
  return rows.find((r) => r.peer === peer);
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? '**met**' : '**missed**';
}

function worst(samples: number[] | undefined): number | undefined {
  return samples === undefined || samples.length === 0 ? undefined : Math.max(...samples);
}

function targets(r: OverSshResults): string[] {
  const g = find(r.throughput, GRITTY);
  const p = find(r.throughput, PLAIN);
  const ge = find(r.echo, GRITTY);
  const pe = find(r.echo, PLAIN);
  const echoOver = ge !== undefined && pe !== undefined ? ge.p50Ms - pe.p50Ms : undefined;
  const killed = worst(r.recovery?.killedMs);
  const wake = worst(r.recovery?.wakeMs);
  return [
    '| Target | Measured | |',
    '|---|---|---|',
    `| Throughput at least ${SSH_THROUGHPUT_SHARE * 100}% of plain ssh | gritty ${fixed(g && g.medianBytesPerSec / MB, 1)} MB/s vs plain ssh ${fixed(p && p.medianBytesPerSec / MB, 1)} MB/s (${ratio(g?.medianBytesPerSec, p?.medianBytesPerSec)}) | ${verdict(g && p && g.medianBytesPerSec >= SSH_THROUGHPUT_SHARE * p.medianBytesPerSec)} |`,
    `| Echo p50 at most ${SSH_ECHO_P50_BUDGET_MS} ms above plain ssh | gritty p50 ${fixed(ge?.p50Ms, 3)} ms, plain ssh ${fixed(pe?.p50Ms, 3)} ms: +${fixed(echoOver, 3)} ms | ${verdict(echoOver === undefined ? undefined : echoOver <= SSH_ECHO_P50_BUDGET_MS)} |`,
    `| Usable within ${KILLED_USABLE_MS / 1000} s of a killed tunnel | ${killed === undefined ? 'n/a' : `${fixed(killed, 0)} ms (worst of ${r.recovery!.killedMs.length})`} | ${verdict(killed === undefined ? undefined : killed <= KILLED_USABLE_MS)} |`,
    `| Usable within ${WAKE_USABLE_MS / 1000} s of wake | ${wake === undefined ? 'n/a' : `${fixed(wake, 0)} ms (worst of ${r.recovery!.wakeMs.length})`} | ${verdict(wake === undefined ? undefined : wake <= WAKE_USABLE_MS)} |`,
  ];
}

function recoveryTable(r: RecoveryResult): string[] {
  const setup = median(r.sshSetupMs);
  const row = (what: string, samples: number[]): string =>
    samples.length === 0
      ? `| ${what} | not run | | |`
      : `| ${what} | ${fixed(median(samples), 0)} ms | ${samples.map((v) => v.toFixed(0)).join(', ')} | ${ratio(median(samples), setup)} |`;
  return [
    '| Event | Usable after (median) | Samples (ms) | ÷ `ssh devbox true` |',
    '|---|---:|---|---:|',
    `| bare ssh connection setup (\`ssh devbox true\`) | ${fixed(setup, 0)} ms | ${r.sshSetupMs.map((v) => v.toFixed(0)).join(', ')} | 1.00× |`,
    `| ssh forward setup (\`ssh -N -L\` until its socket is bound: what a respawned tunnel pays) | ${fixed(median(r.sshForwardMs), 0)} ms | ${r.sshForwardMs.map((v) => v.toFixed(0)).join(', ')} | ${ratio(median(r.sshForwardMs), setup)} |`,
    row("kill -9 of the tunnel's ssh", r.killedMs),
    row("silent network (the tunnel's `sshd -i` SIGSTOPped)", r.silentMs),
    row(`wake (laptop side SIGSTOPped ${SLEEP_MS / 1000} s while its sshd was killed), from SIGCONT`, r.wakeMs),
  ];
}

/** The "Over ssh" section's body. */
export function renderOverSsh(r: OverSshResults): string[] {
  return [
    '### Targets (issue 3)',
    '',
    ...targets(r),
    '',
    '### Output throughput over ssh',
    '',
    ...(r.throughput.length > 0 ? [...throughputSpreadTable(r.throughput, PLAIN), '', '#### CPU per MiB by process over ssh', '', ...cpuTable(r.throughput)] : ['Not run (BENCH_ONLY).']),
    '',
    '### Keystroke echo over ssh',
    '',
    ...(r.echo.length > 0 ? echoSpreadTable(r.echo, PLAIN) : ['Not run (BENCH_ONLY).']),
    '',
    '### Time until usable',
    '',
    ...(r.recovery !== undefined ? recoveryTable(r.recovery) : ['Not run (BENCH_ONLY).']),
  ];
}
