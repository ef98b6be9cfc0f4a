import type { EchoResult } from './echo.js';
import { busyPeerName, LOAD_SAMPLE_MS, type LoadCost } from './busy.js';
import { grittyAt, growthSpans, perSessionKiB, type MemoryReading } from './memory.js';
import { fixed, median, ratio, spreadCell } from './stats.js';
import type { ThroughputResult } from './throughput.js';

/** Issue 11's tables: its targets, CPU per MiB by process on each path, and the busy daemon. */

export interface BusyResults {
  sessions: number;
  linesPerSec: number;
  /** What the load alone cost before anything was measured. */
  loadCost: LoadCost;
  throughput: ThroughputResult[];
  echo: EchoResult[];
}

/** What issue 11's targets are read from: the local and over-ssh throughput and echo, the memory rows, the busy daemon. */
export interface PerfInputs {
  throughput: ThroughputResult[];
  echo: EchoResult[];
  sshThroughput: ThroughputResult[];
  memory: MemoryReading[];
  busy: BusyResults | string;
}

/** Issue 11's targets. */
export const LOCAL_THROUGHPUT_SHARE = 1.0;
export const SSH_THROUGHPUT_SHARE = 0.9;
/** gritty's echo p50 overhead over a bare PTY, at most this many times dtach's. */
export const ECHO_OVERHEAD_SHARE = 1.5;
/** gritty's echo p99, at most this many times its own p50. */
export const ECHO_P99_OVER_P50 = 3;
export const ONE_SESSION_RSS_MIB = 50;
export const PER_SESSION_KIB = 100;

const MB = 1024 * 1024;

function find<T extends { peer: string }>(rows: T[], peer: string): T | undefined {
  return rows.find((r) => r.peer === peer);
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? '**met**' : '**missed**';
}

function both<T>(a: T | undefined, b: T | undefined): [T, T] | undefined {
  return a === undefined || b === undefined ? undefined : [a, b];
}

/** "+0.310" or "−0.441". */
function signed(value: number, digits: number): string {
  return value < 0 ? `−${fixed(-value, digits)}` : `+${fixed(value, digits)}`;
}

function cpuSum(t: ThroughputResult | undefined): number | undefined {
  return t === undefined || t.cpu.length === 0 ? undefined : t.cpu.reduce((a, c) => a + c.msPerMiB, 0);
}

/** "; CPU 160 vs 45 ms/MiB on the whole path": where a throughput ratio comes from. */
function cpuVersus(pair: [ThroughputResult, ThroughputResult] | undefined): string {
  return pair === undefined ? '' : `; CPU on the whole path ${fixed(cpuSum(pair[0]), 1)} vs ${fixed(cpuSum(pair[1]), 1)} ms/MiB`;
}

function busySummary(busy: BusyResults | string): string {
  if (typeof busy === 'string') return `not measured: ${busy}`;
  const on = busyPeerName(busy.sessions, true);
  const off = busyPeerName(busy.sessions, false);
  const [t, t0, e, e0] = [find(busy.throughput, on), find(busy.throughput, off), find(busy.echo, on), find(busy.echo, off)];
  return `${fixed(t && t.medianBytesPerSec / MB, 1)} MB/s (${ratio(t?.medianBytesPerSec, t0?.medianBytesPerSec)} of the same daemon with them stopped); echo p50 ${fixed(e?.p50Ms, 3)} ms, p99 ${fixed(e?.p99Ms, 3)} ms (stopped: ${fixed(e0?.p50Ms, 3)}, ${fixed(e0?.p99Ms, 3)} ms)`;
}

/** "51 KiB (50 → 100 sessions; 3 trials: 51, 53, 47)": the median growth per idle session between two counts, and each trial's. */
export function growthCell(memory: MemoryReading[], from: number, to: number): string {
  const each = perSessionKiB(memory, from, to);
  return each.length === 0 ? 'n/a' : `${fixed(median(each), 0)} KiB (${from} → ${to} sessions; ${each.length} trial${each.length === 1 ? '' : 's'}: ${each.map((k) => fixed(k, 0)).join(', ')})`;
}

export function issue11Targets(r: PerfInputs): string[] {
  const tp = both(find(r.throughput, 'gritty'), find(r.throughput, 'dtach'));
  const ssh = both(find(r.sshThroughput, 'gritty over ssh'), find(r.sshThroughput, 'plain ssh -tt'));
  const bare = find(r.echo, 'bare PTY');
  const ge = find(r.echo, 'gritty');
  const de = find(r.echo, 'dtach');
  const overheads = bare && ge && de ? { gritty: ge.p50Ms - bare.p50Ms, dtach: de.p50Ms - bare.p50Ms } : undefined;
  const one = grittyAt(r.memory, 1)?.median;
  const [whole, pastOneTime] = growthSpans(r.memory);
  const trials = whole === undefined ? [] : perSessionKiB(r.memory, whole.from, whole.to);
  const perSession = trials.length === 0 ? undefined : median(trials);
  return [
    '| Target | Measured | |',
    '|---|---|---|',
    `| Local throughput at least ${LOCAL_THROUGHPUT_SHARE.toFixed(1)}× dtach's | gritty ${fixed(tp && tp[0].medianBytesPerSec / MB, 1)} MB/s vs dtach ${fixed(tp && tp[1].medianBytesPerSec / MB, 1)} MB/s (${ratio(tp?.[0].medianBytesPerSec, tp?.[1].medianBytesPerSec)})${cpuVersus(tp)} | ${verdict(tp && tp[0].medianBytesPerSec >= LOCAL_THROUGHPUT_SHARE * tp[1].medianBytesPerSec)} |`,
    `| Throughput over ssh at least ${SSH_THROUGHPUT_SHARE}× plain \`ssh -tt\` | gritty ${fixed(ssh && ssh[0].medianBytesPerSec / MB, 1)} MB/s vs plain ssh ${fixed(ssh && ssh[1].medianBytesPerSec / MB, 1)} MB/s (${ratio(ssh?.[0].medianBytesPerSec, ssh?.[1].medianBytesPerSec)})${cpuVersus(ssh)} | ${verdict(ssh && ssh[0].medianBytesPerSec >= SSH_THROUGHPUT_SHARE * ssh[1].medianBytesPerSec)} |`,
    `| Echo p50 overhead over a bare PTY at most ${ECHO_OVERHEAD_SHARE}× dtach's | gritty +${fixed(overheads?.gritty, 3)} ms, dtach +${fixed(overheads?.dtach, 3)} ms over bare ${fixed(bare?.p50Ms, 3)} ms (${ratio(overheads?.gritty, overheads?.dtach)}) | ${verdict(overheads && overheads.gritty <= ECHO_OVERHEAD_SHARE * overheads.dtach)} |`,
    `| Echo p99 at most ${ECHO_P99_OVER_P50}× gritty's own p50 | p99 ${fixed(ge?.p99Ms, 3)} ms, p50 ${fixed(ge?.p50Ms, 3)} ms (${ratio(ge?.p99Ms, ge?.p50Ms)}) | ${verdict(ge && ge.p99Ms <= ECHO_P99_OVER_P50 * ge.p50Ms)} |`,
    `| Daemon with one idle session at most ${ONE_SESSION_RSS_MIB} MiB RSS | ${fixed(one && one / 1024, 1)} MiB (median of the trials) | ${verdict(one === undefined ? undefined : one <= ONE_SESSION_RSS_MIB * 1024)} |`,
    `| Each further idle session at most ${PER_SESSION_KIB} KiB | ${whole === undefined ? 'n/a' : growthCell(r.memory, whole.from, whole.to)} | ${verdict(perSession === undefined ? undefined : perSession <= PER_SESSION_KIB)} |`,
    `| Each further idle session from half way to many (the daemon\'s one-time costs mostly fall before) | ${pastOneTime === undefined ? 'n/a' : growthCell(r.memory, pastOneTime.from, pastOneTime.to)} | reported |`,
    `| Throughput and echo while ${typeof r.busy === 'string' ? 'N' : r.busy.sessions} other sessions stream output | ${busySummary(r.busy)} | ${typeof r.busy === 'string' ? 'not measured' : 'reported'} |`,
  ];
}

/** Throughput with its spread over runs; `base` names the peer the ratio column divides by, `versus` one set against each peer in another. */
export function throughputSpreadTable(rows: ThroughputResult[], base: string, versus?: string): string[] {
  const floor = find(rows, base);
  const other = versus === undefined ? undefined : find(rows, versus);
  return [
    `| Peer | Payload MB/s (median) | Runs: min–max MB/s (CV) | ÷ ${base} |${versus === undefined ? '' : ` ${versus} ÷ this |`} MB/s reaching the terminal |`,
    `|---|---:|---|---:|${versus === undefined ? '' : '---:|'}---:|`,
    ...rows.map(
      (t) =>
        `| ${t.peer} | ${fixed(t.medianBytesPerSec / MB, 1)} | ${t.runs.length} runs: ${spreadCell(t.spread, MB, 1)} | ${ratio(t.medianBytesPerSec, floor?.medianBytesPerSec)} |${versus === undefined ? '' : ` ${ratio(other?.medianBytesPerSec, t.medianBytesPerSec)} |`} ${fixed(t.medianDeliveredPerSec / MB, 1)} |`,
    ),
  ];
}

/** Echo with the spread of its rounds' p50s; `base` names the peer the overhead columns subtract and divide by. */
export function echoSpreadTable(rows: EchoResult[], base: string): string[] {
  const floor = find(rows, base);
  return [
    `| Peer | p50 ms | Rounds' p50: min–max ms (CV) | p99 ms | mean ms | p50 − ${base} | p50 ÷ ${base} | First keystroke of a round: p50 ms (idle before it) |`,
    '|---|---:|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (e) =>
        `| ${e.peer} | ${fixed(e.p50Ms, 3)} | ${spreadCell(e.roundP50, 1, 3)} | ${fixed(e.p99Ms, 3)} | ${fixed(e.meanMs, 3)} | ${floor === undefined ? 'n/a' : signed(e.p50Ms - floor.p50Ms, 3)} | ${ratio(e.p50Ms, floor?.p50Ms)} | ${fixed(e.afterPause.p50Ms, 3)} (${fixed(e.afterPause.idleMs, 0)} ms) |`,
    ),
  ];
}

/** CPU ms per MiB of payload, process by process, with each path's sum. */
export function cpuTable(rows: ThroughputResult[]): string[] {
  const measured = rows.filter((t) => t.cpu.length > 0);
  if (measured.length === 0) return ['Not measured.'];
  const lines = ['| Path | Process | CPU ms per MiB | Share of the path |', '|---|---|---:|---:|'];
  for (const t of measured) {
    const sum = t.cpu.reduce((a, c) => a + c.msPerMiB, 0);
    t.cpu.forEach((c, i) => lines.push(`| ${i === 0 ? t.peer : ''} | ${c.role} | ${fixed(c.msPerMiB, 2)} | ${sum > 0 ? ((c.msPerMiB / sum) * 100).toFixed(0) : 'n/a'}% |`));
    lines.push(`| | **sum** | **${fixed(sum, 2)}** | |`);
  }
  return lines;
}

/** The busy daemon's section. */
export function renderBusy(busy: BusyResults | string): string[] {
  if (typeof busy === 'string') return [`Not measured: ${busy}`];
  const silent = busyPeerName(busy.sessions, false);
  return [
    `One daemon, ${busy.sessions} other sessions (none attached) each printing ${busy.linesPerSec} lines of 80 bytes per second (${fixed((busy.sessions * busy.linesPerSec * 80) / 1024, 0)} KiB/s into the daemon in all); the measured session's turns alternate between the load running and the load stopped (SIGSTOP). The load alone, with nothing attached, kept the daemon ${fixed(busy.loadCost.daemonPercent, 0)}% of a core busy and its printers ${fixed(busy.loadCost.printersPercent, 0)}% (over ${LOAD_SAMPLE_MS / 1000} s before the runs).`,
    '',
    ...throughputSpreadTable(busy.throughput, silent),
    '',
    ...echoSpreadTable(busy.echo, silent),
    '',
    'CPU per MiB of payload (with the load running, the daemon\'s figure includes what the other sessions cost it meanwhile):',
    '',
    ...cpuTable(busy.throughput),
  ];
}
