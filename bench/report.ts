import type { EchoResult } from './echo.js';
import type { LsTimeResult } from './ls-time.js';
import { renderLink, type LinkResults } from './report-link.js';
import { cpuTable, echoSpreadTable, growthCell, issue11Targets, renderBusy, throughputSpreadTable, type BusyResults } from './report-perf.js';
import { renderOverSsh, type OverSshResults } from './report-ssh.js';
import { renderTransfer } from './report-transfer.js';
import { grittyAt, growthSpans, type MemoryReading } from './memory.js';
import { fixed, median, ratio } from './stats.js';
import type { ThroughputResult } from './throughput.js';
import type { TransferBenchResult } from './transfer.js';

export interface LsRow {
  sessions: number;
  gritty: LsTimeResult | undefined;
  tmux: LsTimeResult | undefined;
  /** A bare `node -e 0`: the floor any Node CLI pays. */
  node: LsTimeResult | undefined;
}

export interface Results {
  machine: string[];
  settings: string[];
  throughput: ThroughputResult[];
  echo: EchoResult[];
  /** gritty beside other sessions streaming output (issue 11), or why it did not run. */
  busy: BusyResults | string;
  memory: MemoryReading[];
  ls: LsRow[];
  /** Peers that could not run, and why. */
  skipped: string[];
  /** The over-ssh benchmarks, or why they did not run. */
  overSsh: OverSshResults | string;
  /** The link and port-forward benchmarks (issues 7 and 8), or why they did not run. */
  link: LinkResults | string;
  /** File transfer (issue 9), or why it did not run. */
  transfer: TransferBenchResult | string;
}

/** Throughput target: at least dtach's. Echo target: p50 at most this much above the bare PTY. `gritty ls` target: under this. */
export const ECHO_P50_BUDGET_MS = 0.3;
export const LS_BUDGET_MS = 100;

const MB = 1024 * 1024;

function find<T extends { peer: string }>(rows: T[], peer: string): T | undefined {
  return rows.find((r) => r.peer === peer);
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? '**met**' : '**missed**';
}

function targets(r: Results): string[] {
  const g = find(r.throughput, 'gritty');
  const d = find(r.throughput, 'dtach');
  const ge = find(r.echo, 'gritty');
  const be = find(r.echo, 'bare PTY');
  const ls = r.ls.map((row) => row.gritty?.medianMs).filter((v): v is number => v !== undefined);
  const worstLs = ls.length > 0 ? Math.max(...ls) : undefined;
  const echoOver = ge !== undefined && be !== undefined ? ge.p50Ms - be.p50Ms : undefined;
  return [
    '| Target | Measured | |',
    '|---|---|---|',
    `| Throughput at least dtach's | gritty ${fixed(g && g.medianBytesPerSec / MB, 1)} MB/s vs dtach ${fixed(d && d.medianBytesPerSec / MB, 1)} MB/s (${ratio(g?.medianBytesPerSec, d?.medianBytesPerSec)}) | ${verdict(g && d && g.medianBytesPerSec >= d.medianBytesPerSec)} |`,
    `| Echo p50 at most ${ECHO_P50_BUDGET_MS} ms above a bare PTY | gritty p50 ${fixed(ge?.p50Ms, 3)} ms, bare ${fixed(be?.p50Ms, 3)} ms: +${fixed(echoOver, 3)} ms | ${verdict(echoOver === undefined ? undefined : echoOver <= ECHO_P50_BUDGET_MS)} |`,
    `| \`gritty ls\` under ${LS_BUDGET_MS} ms | ${worstLs === undefined ? 'n/a' : `${fixed(worstLs, 1)} ms (slowest of ${r.ls.map((row) => row.sessions).join(' and ')} sessions)`} | ${verdict(worstLs === undefined ? undefined : worstLs < LS_BUDGET_MS)} |`,
  ];
}

function memoryTable(readings: MemoryReading[]): string[] {
  const counts = [...new Set(readings.map((r) => r.sessions))].sort((a, b) => a - b);
  const trials = new Set(readings.map((r) => r.trial)).size;
  const spans = growthSpans(readings);
  return [
    `${trials} trial${trials === 1 ? '' : 's'}, each a fresh daemon and tmux server grown from one idle session; median over the trials, with the lowest and highest.`,
    '',
    '| Idle sessions | gritty daemon RSS | lowest–highest | tmux server RSS | gritty ÷ tmux |',
    '|---:|---:|---|---:|---:|',
    ...counts.map((n) => {
      const g = grittyAt(readings, n);
      const t = median(readings.filter((r) => r.sessions === n).map((r) => r.tmuxKiB));
      return `| ${n} | ${fixed(g && g.median / 1024, 1)} MiB | ${fixed(g && g.min / 1024, 1)}–${fixed(g && g.max / 1024, 1)} MiB | ${fixed(t / 1024, 1)} MiB | ${ratio(g?.median, t)} |`;
    }),
    '',
    'gritty\'s RSS growth per further idle session, each trial between two of its own readings:',
    '',
    ...(spans.length === 0 ? ['Not weighed at two counts.'] : spans.map(({ from, to }) => `- ${growthCell(readings, from, to)}`)),
  ];
}

function lsTable(rows: LsRow[]): string[] {
  return [
    '| Sessions | `gritty ls` median | `tmux ls` median | gritty ÷ tmux | `gritty ls` CPU (user+sys) | `node -e 0` median / CPU |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (l) =>
        `| ${l.sessions} | ${fixed(l.gritty?.medianMs, 1)} ms | ${fixed(l.tmux?.medianMs, 1)} ms | ${ratio(l.gritty?.medianMs, l.tmux?.medianMs)} | ${fixed(l.gritty?.cpuMs, 1)} ms | ${fixed(l.node?.medianMs, 1)} ms / ${fixed(l.node?.cpuMs, 1)} ms |`,
    ),
  ];
}

/** docs/BENCHMARKS.md from one run's results. `analysis` is kept between runs: it is written by a person. */
export function renderReport(r: Results, analysis: string): string {
  return [
    '# Benchmarks',
    '',
    '*Read this when* you want to know what gritty costs next to a bare terminal, dtach and tmux (and, over ssh, next to plain ssh and ssh + tmux), or before and after touching the output path (PTY → ring → OutputPump → Connection → client → stdout), the echo path, the daemon\'s per-session state, or the over-ssh path (tunnel supervisor, heartbeats, reconnect), or the link (input acknowledgements, liveness probes, the channel mux and its windows, port forwards).',
    '',
    '*Update this in the same commit as* a change that moves these figures (regenerate with `npm run bench`), or a change to bench/ itself.',
    '',
    'Everything below the analysis is written by `npm run bench` from a single run: every peer is measured in the same run on the same machine, so compare ratios within a run, not absolute figures across machines.',
    '',
    '## How to reproduce',
    '',
    '```sh',
    'apt-get install -y dtach tmux mosh hyperfine openssh-server   # peers; hyperfine is optional',
    'npm install',
    'npm run bench                                                  # builds, runs everything (about 10 minutes on a quiet 2-core machine), rewrites this file',
    '```',
    '',
    'Knobs (environment): `BENCH_PAYLOAD_MB` (throughput payload, default 32), `BENCH_RUNS` (timed throughput runs per peer, plus one warm-up, and rounds of echo samples per peer; default 15), `BENCH_ECHO_SAMPLES` (per peer, spread over the rounds; default 300), `BENCH_SESSIONS` (the "many" count for memory and `ls`, default 100), `BENCH_MEMORY_TRIALS` (fresh servers weighed for memory, default 3), `BENCH_BUSY_SESSIONS` (the other sessions streaming in the busy daemon, default 50) and `BENCH_BUSY_LINES_PER_SEC` (lines each of them prints per second, default 50), `BENCH_ONLY` (comma list of throughput, echo, busy, memory, ls for the local peers, ssh for throughput and echo over ssh, recovery for time until usable, silent-typing, forward-echo and forward-throughput for the link and port-forward figures; default all), `BENCH_KILLED_SAMPLES` (default 5), `BENCH_SILENT_SAMPLES` and `BENCH_WAKE_SAMPLES` (default 1 each: each silent-network sample, of recovery and of silent-typing, waits for a tunnel healthy 11 s and then for the link to be found dead; a wake sleeps 20 s; set them to 0 to skip), `BENCH_FORWARD_MB` (the port-forward throughput stream, default 256), `BENCH_FORWARD_RUNS` (timed runs per path, default 3, after one warm-up of an eighth of the stream), `BENCH_OUT` (another file instead of this one). Run it when `uptime` shows a low load: the report records the load average at start and end.',
    '',
    'How each figure is taken (bench/):',
    '',
    '- **Every peer is watched through a real outer PTY** (node-pty) that the bench reads as fast as it can, as a terminal emulator would: gritty runs `gritty attach` in it (session created with `gritty new -d` in a private daemon), dtach runs `dtach -A sock -E -r none`, tmux runs `tmux attach` (private socket, no config, status line off), mosh runs `mosh-client` against a loopback `mosh-server` (no ssh), and the bare PTY runs the workload directly.',
    '- **Throughput** (throughput.ts): the session `cat`s a file of 100-byte numbered text lines and prints a marker (odd and even runs\' markers differ in every character, since mosh sends only the screen cells that changed); timed from the keystroke that starts it until the marker comes out of the outer PTY. Payload bytes over time; peers take turns run by run, so outside load falls on all of them alike, and each peer\'s median is given with the slowest and fastest run and the coefficient of variation (standard deviation ÷ mean) of its runs. The last column counts the bytes that actually reached the outer terminal: tmux and mosh redraw screens rather than pass bytes, and gritty skips to a repaint when a client falls more than the ring (1 MiB) behind, so theirs can be far below the payload rate.',
    '- **CPU per MiB by process** (throughput.ts, cpu.ts): during each timed throughput run (and 250 ms after its marker, so work a process does after passing the bytes on counts), utime + stime from `/proc/<pid>/stat` of every process on the path, summed over the runs and divided by the MiB of payload: the peer\'s client and server (gritty\'s daemon split per thread from `/proc/<pid>/task/<tid>/stat` into its main thread, its busiest other thread, a V8 garbage-collector or libuv helper since the daemon has no worker thread, and the rest), over ssh also ssh, the `sshd` processes of the connection and gritty\'s tunnel supervisor, the session\'s shell with the `cat`s it has reaped ("workload", alike for every path), and the bench process itself, which reads the outer terminal as a terminal emulator would. With 10 ms clock ticks a figure below about 10 ms ÷ (runs × payload MiB) is noise. tmux\'s client shows about 0: the client hands its terminal to the server, which writes to it directly.',
    '- **Echo** (echo.ts): the session runs `stty raw -echo; cat`; one byte is written into the outer PTY and timed until it comes back out of it. Samples are spaced a few ms apart so each is a lone keystroke, and taken in `BENCH_RUNS` rounds with peers taking turns, so load from other processes falls on all of them alike; p50 and p99 are over all samples, and the spread column gives the lowest and highest of the rounds\' p50s and their coefficient of variation. The last column is the p50 of each round\'s first keystroke alone, typed after the peer sat idle through the other peers\' turns (the median idle time in brackets): one sample per round (one in 20 at the defaults), so they weigh on p99, and a process pays more CPU for an event when its caches went cold meanwhile (PERFORMANCE-NOTES, "The first keystroke after a pause").',
    '- **While other sessions stream output** (busy.ts): one gritty daemon holds `BENCH_BUSY_SESSIONS` other sessions, none attached, each running a `perl` loop that prints a numbered 80-byte line `BENCH_BUSY_LINES_PER_SEC` times a second (a chatty log tail in each: 2 500 lines and 195 KiB per second into the daemon at the defaults, in many small reads, the costly kind per byte). The measured session lives in the same daemon; throughput and echo are taken as above with two "peers" that share it and take turns: before a "streaming" turn the load is resumed (SIGCONT), before a "stopped" turn it is SIGSTOPped, each followed by 300 ms to settle, so the same daemon, sessions and minutes give the figure with and without the load. Before the runs, the daemon\'s and the printers\' CPU over 2 s of load alone is recorded.',
    '- **Issue 11\'s targets** are read off these tables: local throughput against dtach\'s, over-ssh throughput against plain `ssh -tt`\'s, echo p50 overhead (p50 − the bare PTY\'s p50) against dtach\'s overhead, gritty\'s echo p99 against its own p50, the daemon\'s RSS at one idle session (median of the trials), and (RSS at many − RSS at one) ÷ (many − 1) per further idle session (the median of the trials\' figures), from the memory table.',
    '- **Memory** (memory.ts): VmRSS of the server process (all threads) after it holds 1, then N/2, then N idle `bash --norc` sessions, with no client attached; shells not counted. `BENCH_MEMORY_TRIALS` (default 3) fresh servers are grown and weighed: one reading per count moved the per-session figure by tens of KiB from run to run, as a one-time cost (V8 loading its optimizing compiler while the sessions are made, ~4 MiB) fell inside the growth or outside it. The table gives the median over trials, and each trial\'s growth per session from 1 to N and from N/2 to N.',
    '- **`ls`** (ls-time.ts): wall time of `gritty ls` and `tmux ls` against those servers, from exec to exit (hyperfine `-N`, warm-up 3), beside a bare `node -e 0`, the floor of any Node CLI. CPU time is given too: on a loaded machine it moves less than wall time.',
    '- **Over ssh** (over-ssh.ts, sshd-harness.ts, recovery.ts): a private OpenSSH sshd (generated keys, its own config, `sshd -i` behind `ProxyCommand`, so nothing listens on a port and each connection has its own sshd), with the "remote" gritty on this machine under its own XDG dirs (sshd `SetEnv`) and the "laptop" a private gritty world using `GRITTY_SSH` (an `ssh -F <config>` wrapper) and `GRITTY_REMOTE_BIN`. Peers: gritty over its tunnel (`gritty new -d devbox:x` auto-starts it, then `gritty attach`), plain `ssh -tt devbox sh -c …`, and `ssh -tt devbox tmux new -A …`, through the same throughput and echo measurements as above. Loopback has no network latency, so these figures are the cost of the programs alone.',
    '- **Time until usable** (recovery.ts): a session running the echo workload is attached in an outer terminal; the link is broken, and from that moment the bench types a marker every 50 ms (keystrokes into a dead link are lost, as a person\'s would be) until one comes back. *Killed tunnel*: `kill -9` of the tunnel\'s ssh (`sshPid` from `gritty tunnels --json`). *Silent network*: SIGSTOP of the `sshd -i` serving the tunnel, so nothing is closed and only heartbeats can tell. *Wake*: the laptop side (client, supervisor, ssh) SIGSTOPped for 20 s while its sshd is killed, timed from SIGCONT. Before each sample the bench waits until the tunnel has been healthy for 11 s, so the supervisor\'s respawn backoff is back at zero. Set against `ssh devbox true` and against `ssh -N -L` until it binds its socket (connect and authenticate, no session: what a respawned tunnel pays).',
    "- **Typing into a silent network** (silent-typing.ts): the session runs a line reader (`stty -echo`, then `read` in a loop) that appends each line to a log and prints `got<line>`. The `sshd -i` serving the tunnel is SIGSTOPped and one marker line is typed once, never retyped; timed until `got<marker>` comes out of the outer terminal. Then an end line is typed and answered, and the marker is counted in the reader's log: delivered exactly once is a count of 1. Shown beside recovery.ts's silent-network figure, which retypes.",
    "- **Echo while a forward is saturated** (forward-echo.ts, forward-world.ts, stream-server.ts, stream-consumer.ts): a gritty session over ssh starts `gritty lf` (the built bin/gritty by absolute path) to a stream server on the laptop (its own process, 64 KiB writes as fast as the socket takes them) and, in the background, a consumer that reads the forwarded port flat out; in the foreground the echo workload. Echo is timed as above, in ten rounds that alternate idle (stream server SIGSTOPped and the stream drained, the channel still open) and saturated (stream flowing), so the idle p99 comes from the same session and the same minutes.",
    '- **Port-forward throughput** (forward-throughput.ts): one stream of `BENCH_FORWARD_MB` MiB from the same stream server, read by the consumer through `gritty lf` (session host listens, laptop connects) and through `ssh -N -L port:127.0.0.1:server devbox` to the same private sshd, runs interleaved; timed by the consumer from its request to the last byte, byte count checked.',
    '',
    '## Analysis',
    '',
    analysis.trim(),
    '',
    '<!-- generated below: do not edit by hand -->',
    '',
    '## Targets (issue 2)',
    '',
    ...targets(r),
    '',
    '## Targets (issue 11)',
    '',
    ...issue11Targets({ throughput: r.throughput, echo: r.echo, sshThroughput: typeof r.overSsh === 'string' ? [] : r.overSsh.throughput, memory: r.memory, busy: r.busy }),
    '',
    '## Output throughput',
    '',
    ...throughputSpreadTable(r.throughput, 'bare PTY', 'gritty'),
    '',
    '### CPU per MiB by process',
    '',
    ...cpuTable(r.throughput),
    '',
    '## Keystroke echo round trip',
    '',
    ...echoSpreadTable(r.echo, 'bare PTY'),
    '',
    '## While other sessions stream output (issue 11)',
    '',
    ...renderBusy(r.busy),
    '',
    '## Daemon memory',
    '',
    ...memoryTable(r.memory),
    '',
    '## `ls` wall time',
    '',
    ...lsTable(r.ls),
    '',
    '## Over ssh (issue 3)',
    '',
    ...(typeof r.overSsh === 'string' ? [`Not measured: ${r.overSsh}`] : renderOverSsh(r.overSsh)),
    '',
    '## Link and port forwards over ssh (issues 7 and 8)',
    '',
    ...(typeof r.link === 'string' ? [`Not measured: ${r.link}`] : renderLink(r.link, typeof r.overSsh === 'string' ? [] : (r.overSsh.recovery?.silentMs ?? []))),
    '',
    '## File transfer over ssh (issue 9)',
    '',
    ...renderTransfer(r.transfer),
    '',
    '## This run',
    '',
    ...r.machine.map((m) => `- ${m}`),
    ...r.settings.map((s) => `- ${s}`),
    ...(r.skipped.length > 0 ? ['', 'Skipped or failed:', '', ...r.skipped.map((s) => `- ${s}`)] : []),
    '',
  ].join('\n');
}

/** The hand-written analysis of an existing report, to carry over into the next. */
export function keptAnalysis(previous: string | undefined): string {
  if (previous === undefined) return '_No analysis written yet._';
  const start = previous.indexOf('## Analysis\n');
  const end = previous.indexOf('<!-- generated below');
  if (start < 0 || end < 0) return '_No analysis written yet._';
  return previous.slice(start + '## Analysis\n'.length, end);
}
