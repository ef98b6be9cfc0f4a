import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusyDaemon } from './busy.js';
import { measureEcho, type EchoResult } from './echo.js';
import { measureForwardEcho } from './forward-echo.js';
import { measureForwardThroughput } from './forward-throughput.js';
import { timeCommand } from './ls-time.js';
import { GrittyServerUnderTest, memoryCounts, TmuxServerUnderTest, type MemoryReading } from './memory.js';
import { sshPeers, startSshHarness } from './over-ssh.js';
import { localPeers, type Peer } from './peers.js';
import type { BusyResults } from './report-perf.js';
import { keptAnalysis, renderReport, type LsRow, type Results } from './report.js';
import { measureRecovery } from './recovery.js';
import type { LinkResults } from './report-link.js';
import type { OverSshResults } from './report-ssh.js';
import { measureSilentTyping } from './silent-typing.js';
import type { SshHarness } from './sshd-harness.js';
import { makePayload, measureThroughput, type ThroughputResult } from './throughput.js';
import { measureTransfer, type TransferBenchResult } from './transfer.js';

/** `npm run bench`: every benchmark, every peer, one run; writes docs/BENCHMARKS.md. */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MB = 1024 * 1024;
/** A run slower than this (under 1 MB/s at the default payload) drops its peer from the rest of the runs: the bench must end. */
const THROUGHPUT_TIMEOUT_MS = 60_000;

const settings = {
  payloadMB: Number(process.env.BENCH_PAYLOAD_MB ?? 32),
  /** Timed throughput runs per peer, and rounds of echo samples per peer: peers take turns run by run. */
  runs: Number(process.env.BENCH_RUNS ?? 15),
  echoSamples: Number(process.env.BENCH_ECHO_SAMPLES ?? 300),
  sessions: Number(process.env.BENCH_SESSIONS ?? 100),
  /** Fresh daemons weighed, each grown from one session to `sessions`: one reading per count moved the per-session figure by tens of KiB. */
  memoryTrials: Number(process.env.BENCH_MEMORY_TRIALS ?? 3),
  /** The busy daemon (issue 11): other sessions streaming beside the measured one, and each one's lines per second. */
  busySessions: Number(process.env.BENCH_BUSY_SESSIONS ?? 50),
  busyLinesPerSec: Number(process.env.BENCH_BUSY_LINES_PER_SEC ?? 50),
  only: new Set((process.env.BENCH_ONLY ?? 'throughput,echo,busy,memory,ls,ssh,recovery,silent-typing,forward-echo,forward-throughput,transfer').split(',')),
  /** Samples of the slow recovery benchmarks: a silent network waits out the 15 s heartbeat timeout, a wake sleeps 20 s. */
  killedSamples: Number(process.env.BENCH_KILLED_SAMPLES ?? 5),
  silentSamples: Number(process.env.BENCH_SILENT_SAMPLES ?? 1),
  wakeSamples: Number(process.env.BENCH_WAKE_SAMPLES ?? 1),
  /** The port-forward throughput stream (issue 8) and its timed runs per path. */
  forwardMB: Number(process.env.BENCH_FORWARD_MB ?? 256),
  forwardRuns: Number(process.env.BENCH_FORWARD_RUNS ?? 3),
  /** The file of the transfer benchmark (issue 9) and its timed runs per path. */
  transferMB: Number(process.env.BENCH_TRANSFER_MB ?? 256),
  transferRuns: Number(process.env.BENCH_TRANSFER_RUNS ?? 3),
  out: process.env.BENCH_OUT ?? join(REPO, 'docs', 'BENCHMARKS.md'),
};

const benchStarted = Date.now();

/** Progress on stderr, stamped with the seconds since the start so each part's duration can be read off. */
function log(text: string): void {
  process.stderr.write(`[bench +${((Date.now() - benchStarted) / 1000).toFixed(0)}s] ${text}\n`);
}

/** Seconds each part took, for the report: what to shrink when the whole run grows too long. */
const partSeconds: string[] = [];

async function part<T>(name: string, measure: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await measure();
  } finally {
    partSeconds.push(`${name} ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

function version(command: string): string {
  try {
    return execSync(command, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
  } catch {
    return 'not installed';
  }
}

/** The 1, 5 and 15 minute load averages: the machine is shared, so every report says how busy it was. */
function load(): string {
  return loadavg().map((v) => v.toFixed(2)).join(', ');
}

function machine(): string[] {
  return [
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${version('uname -r')}`,
    `node ${process.version}, ${version('tmux -V')}, ${version('dtach --help | head -1')}, ${version('mosh-server --version 2>&1 | head -1')}`,
    `gritty at ${version(`git -C ${REPO} rev-parse --short HEAD`)}${version(`git -C ${REPO} status --porcelain -- src | head -1`) === '' ? '' : ' (src/ had uncommitted changes)'}, ${new Date().toISOString()}`,
  ];
}

async function throughputAll(peers: Peer[], skipped: string[]): Promise<ThroughputResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gritty-bench-payload-'));
  try {
    const payload = makePayload(dir, settings.payloadMB * MB);
    log(`throughput: ${peers.map((p) => p.name).join(', ')}`);
    return await measureThroughput(peers, { payload: payload.path, payloadBytes: payload.bytes, runs: settings.runs, timeoutMs: THROUGHPUT_TIMEOUT_MS }, skipped, log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function echoAll(peers: Peer[], skipped: string[]): Promise<EchoResult[]> {
  log(`echo: ${peers.map((p) => p.name).join(', ')}`);
  return measureEcho(peers, { samples: settings.echoSamples, rounds: settings.runs, warmup: 30, gapMs: 5 }, skipped, log);
}

/** Issue 11: gritty's throughput and echo in a daemon whose other sessions stream output, against the same daemon with them stopped. */
async function busyAll(skipped: string[]): Promise<BusyResults | string> {
  log(`busy: starting ${settings.busySessions} sessions printing ${settings.busyLinesPerSec} lines/s each`);
  let busy: BusyDaemon;
  try {
    busy = await BusyDaemon.start({ sessions: settings.busySessions, linesPerSec: settings.busyLinesPerSec });
  } catch (err) {
    log(`  failed: ${(err as Error).message}`);
    return (err as Error).message;
  }
  try {
    const loadCost = await busy.measureLoad();
    log(`  the load alone: daemon ${loadCost.daemonPercent.toFixed(0)}% of a core, its printers ${loadCost.printersPercent.toFixed(0)}%`);
    const peers = busy.peers();
    return { ...busy.options, loadCost, throughput: await throughputAll(peers, skipped), echo: await echoAll(peers, skipped) };
  } finally {
    busy.dispose();
  }
}

/**
 * Memory and `ls`. Memory: `memoryTrials` fresh pairs of servers, each weighed at one
 * session, half way and at many. `ls`: timed against the first pair at one and at many.
 */
async function serversAll(skipped: string[]): Promise<{ memory: MemoryReading[]; ls: LsRow[] }> {
  const memory: MemoryReading[] = [];
  const ls: LsRow[] = [];
  const trials = settings.only.has('memory') ? settings.memoryTrials : 1;
  for (let trial = 1; trial <= trials; trial++) {
    const gritty = new GrittyServerUnderTest();
    const tmux = new TmuxServerUnderTest();
    try {
      for (const n of memoryCounts(settings.sessions)) {
        log(`servers${trials > 1 ? ` (trial ${trial} of ${trials})` : ''}: growing to ${n} idle sessions`);
        await gritty.growTo(n);
        await tmux.growTo(n);
        if (settings.only.has('memory')) {
          memory.push({ trial, sessions: n, grittyKiB: gritty.rssKiB(), tmuxKiB: tmux.rssKiB() });
          log(`  RSS gritty ${(gritty.rssKiB() / 1024).toFixed(1)} MiB, tmux ${(tmux.rssKiB() / 1024).toFixed(1)} MiB`);
        }
        if (settings.only.has('ls') && trial === 1 && (n === 1 || n === settings.sessions)) {
          const row: LsRow = {
            sessions: n,
            gritty: timeCommand('gritty ls', gritty.lsArgv, gritty.env, 30),
            tmux: timeCommand('tmux ls', tmux.lsArgv, tmux.env, 30),
            node: timeCommand('node -e 0', [process.execPath, '-e', '0'], {}, 30),
          };
          ls.push(row);
          log(`  ls gritty ${row.gritty!.medianMs.toFixed(1)} ms, tmux ${row.tmux!.medianMs.toFixed(1)} ms`);
        }
      }
    } catch (err) {
      skipped.push(`memory/ls, trial ${trial}: ${(err as Error).message}`);
      log(`  failed: ${(err as Error).message}`);
    } finally {
      gritty.dispose();
      tmux.dispose();
    }
  }
  return { memory, ls };
}

const LINK_PARTS = ['silent-typing', 'forward-echo', 'forward-throughput'];

/** Runs one benchmark; a failure is recorded in `skipped` and leaves its figure undefined. */
async function attempt<T>(what: string, skipped: string[], measure: () => Promise<T>): Promise<T | undefined> {
  try {
    return await measure();
  } catch (err) {
    skipped.push(`${what}: ${(err as Error).message}`);
    log(`  failed: ${(err as Error).message}`);
    return undefined;
  }
}

/** Issues 7 and 8, through the same harness: typing into a silent network, echo beside a saturated forward, forward throughput. */
async function linkAll(harness: SshHarness, skipped: string[]): Promise<LinkResults | string> {
  if (!LINK_PARTS.some((part) => settings.only.has(part))) return 'left out by BENCH_ONLY';
  const results: LinkResults = { silentTyping: undefined, forwardEcho: undefined, forwardThroughput: undefined };
  if (settings.only.has('forward-throughput')) {
    log(`forward throughput: gritty lf vs ssh -L, ${settings.forwardMB} MiB`);
    results.forwardThroughput = await attempt('forward-throughput', skipped, () => measureForwardThroughput(harness, { bytes: settings.forwardMB * MB, runs: settings.forwardRuns }, log));
  }
  if (settings.only.has('forward-echo')) {
    log('forward echo: keystroke echo beside a saturated gritty lf');
    results.forwardEcho = await attempt('forward-echo', skipped, () => measureForwardEcho(harness, { samples: settings.echoSamples, warmup: 30, gapMs: 5 }, log));
  }
  if (settings.only.has('silent-typing') && settings.silentSamples > 0) {
    log('silent typing: one line typed once into a silent network');
    results.silentTyping = await attempt('silent-typing', skipped, () => measureSilentTyping(harness, settings.silentSamples, log));
  }
  return results;
}

/** Issue 9: gritty send → receive against scp, and echo during a transfer. */
async function transferAll(harness: SshHarness, skipped: string[]): Promise<TransferBenchResult | string> {
  log(`transfer: gritty send vs scp, ${settings.transferMB} MiB`);
  const options = { bytes: settings.transferMB * MB, runs: settings.transferRuns, echoSamples: settings.echoSamples, echoWarmup: 30, gapMs: 5 };
  return (await attempt('transfer', skipped, () => measureTransfer(harness, options, log))) ?? 'failed (see the end of this report)';
}

/** Issue 3: throughput and echo through ssh (the "ssh" part), time until usable (the "recovery" part); then issues 7 and 8. */
async function overSsh(skipped: string[]): Promise<{ overSsh: OverSshResults | string; link: LinkResults | string; transfer: TransferBenchResult | string }> {
  if (!settings.only.has('ssh') && !settings.only.has('recovery') && !settings.only.has('transfer') && !LINK_PARTS.some((part) => settings.only.has(part))) {
    return { overSsh: 'left out by BENCH_ONLY', link: 'left out by BENCH_ONLY', transfer: 'left out by BENCH_ONLY' };
  }
  const harness = startSshHarness();
  if (typeof harness === 'string') {
    log(`over ssh: ${harness}`);
    return { overSsh: harness, link: harness, transfer: harness };
  }
  const peers = sshPeers(harness);
  try {
    const ssh = settings.only.has('ssh');
    const results: OverSshResults = {
      throughput: ssh ? await throughputAll(peers, skipped) : [],
      echo: ssh ? await echoAll(peers, skipped) : [],
      recovery: undefined,
    };
    if (settings.only.has('recovery')) {
      log('recovery: killed tunnel, silent network, wake');
      results.recovery = await attempt('recovery', skipped, () =>
        measureRecovery(harness, { killedSamples: settings.killedSamples, silentSamples: settings.silentSamples, wakeSamples: settings.wakeSamples }, log),
      );
    }
    const link = await linkAll(harness, skipped);
    const transfer = settings.only.has('transfer') ? await transferAll(harness, skipped) : 'left out by BENCH_ONLY';
    return { overSsh: ssh || settings.only.has('recovery') ? results : 'left out by BENCH_ONLY', link, transfer };
  } finally {
    for (const peer of peers) peer.dispose();
    harness.close();
  }
}

async function main(): Promise<void> {
  const skipped: string[] = [];
  const peers = localPeers().filter((peer) => {
    const missing = peer.missing();
    if (missing !== undefined) skipped.push(`${peer.name}: ${missing}`);
    return missing === undefined;
  });
  const started = Date.now();
  const loadAtStart = load();
  try {
    const results: Results = {
      machine: machine(),
      settings: [
        `throughput: ${settings.payloadMB} MiB payload, ${settings.runs} timed runs per peer after one warm-up, peers taking turns run by run; echo: ${settings.echoSamples} samples per peer after 30 warm-up, in ${settings.runs} rounds with peers taking turns`,
        `busy daemon: ${settings.busySessions} other sessions, none attached, each printing ${settings.busyLinesPerSec} lines of 80 bytes per second; the same payload, runs and samples`,
        `memory: ${settings.memoryTrials} trials, each a fresh daemon weighed at ${memoryCounts(settings.sessions).join(', ')} idle sessions; ls: 1 and ${settings.sessions} idle sessions`,
        `over ssh: the same payload, runs and samples; time until usable: ${settings.killedSamples} killed-tunnel, ${settings.silentSamples} silent-network and ${settings.wakeSamples} wake samples`,
        `transfer: one ${settings.transferMB} MiB file, ${settings.transferRuns} timed runs per path after one untimed; echo during a transfer: ${settings.echoSamples} samples per phase after 30 warm-up`,
        `link and forwards: ${settings.silentSamples} silent-typing samples; echo beside a saturated forward: ${settings.echoSamples} samples per phase after 30 warm-up; forward throughput: one ${settings.forwardMB} MiB stream, ${settings.forwardRuns} timed runs per path after one warm-up`,
      ],
      throughput: settings.only.has('throughput') ? await part('throughput', () => throughputAll(peers, skipped)) : [],
      echo: settings.only.has('echo') ? await part('echo', () => echoAll(peers, skipped)) : [],
      busy: settings.only.has('busy') ? await part('busy daemon', () => busyAll(skipped)) : 'left out by BENCH_ONLY',
      ...(settings.only.has('memory') || settings.only.has('ls') ? await part('memory and ls', () => serversAll(skipped)) : { memory: [], ls: [] }),
      skipped,
      ...(await part('over ssh, recovery, link and forwards', () => overSsh(skipped))),
    };
    results.settings.push(`whole run: ${((Date.now() - started) / 1000).toFixed(0)} s (${partSeconds.join(', ')}); load average (1, 5, 15 min) ${loadAtStart} at the start, ${load()} at the end`);
    const previous = existsSync(settings.out) ? readFileSync(settings.out, 'utf8') : undefined;
    writeFileSync(settings.out, renderReport(results, keptAnalysis(previous)));
    log(`wrote ${settings.out}`);
  } finally {
    for (const peer of peers) peer.dispose();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
