import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSampled, type RolePicker } from './cpu-sampler.js';
import { ECHO_SCRIPT } from './echo.js';
import { echoSample, figures, type EchoFigures } from './forward-echo.js';
import { shellQuote } from './forward-world.js';
import { GRITTY_BIN } from './gritty-world.js';
import { OuterTerminal } from './outer-terminal.js';
import { descendantsOf, processesWithEnv, signalAll, type ProcessInfo } from './processes.js';
import type { SshHarness } from './sshd-harness.js';
import { median, nowMs, waitFor } from './stats.js';

/**
 * File transfer (issue 9), through the private sshd of the over-ssh benchmarks:
 * `gritty send FILE` on the laptop into `gritty receive DIR` in a session over ssh
 * (attached in an outer terminal, whose client pairs them), against `scp` of the same
 * file to the same sshd, runs interleaved, each timed from the command's start to its
 * exit and its copy checked by sha256. Then keystroke echo in that same session, in
 * rounds that alternate idle and "a transfer is running".
 */

export interface TransferBenchOptions {
  bytes: number;
  runs: number;
  /** Echo samples per phase. */
  echoSamples: number;
  echoWarmup: number;
  gapMs: number;
}

export interface TransferBenchResult {
  bytes: number;
  /** Bytes per second, one per timed run. */
  gritty: number[];
  scp: number[];
  /** CPU ms per MiB moved, by process, over the timed runs of each path. */
  grittyCpuMsPerMiB: Map<string, number>;
  scpCpuMsPerMiB: Map<string, number>;
  idle: EchoFigures;
  transferring: EchoFigures;
}

const MiB = 1024 * 1024;
/** Set in the environment of what the bench session starts, so close() stops it all. */
const TRANSFER_MARK = 'GRITTY_BENCH_TRANSFER';
const SESSION = 'transfer';
const ROUNDS = 10;
/** A transfer counts as flowing once this much of the file is in the receiving directory. */
const FLOWING_BYTES = 8 * MiB;
/** A run that has not ended by then is stuck, not slow. */
const RUN_TIMEOUT_MS = 600_000;

function payload(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(4 * MiB);
  const fd = openSync(path, 'w');
  for (let done = 0; done < bytes; done += piece.length) {
    const chunk = piece.subarray(0, Math.min(piece.length, bytes - done));
    randomFillSync(chunk);
    hash.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return hash.digest('hex');
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function bytesIn(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

function run(argv: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${argv.slice(0, 3).join(' ')} … failed (${code ?? signal}): ${err.trim()}`));
    });
  });
  return { child, done };
}

/** A session whose background loop runs `gritty receive DIR` again and again, with the echo workload in front; attached in an outer terminal. */
class TransferSession {
  readonly term: OuterTerminal;
  readonly target: string;

  private constructor(
    private readonly h: SshHarness,
    readonly dir: string,
  ) {
    this.target = `${h.host}:${SESSION}`;
    this.term = new OuterTerminal({ file: process.execPath, args: [GRITTY_BIN, 'attach', this.target], env: h.env });
  }

  static async open(h: SshHarness, dir: string): Promise<TransferSession> {
    const log = join(h.scratch, 'receive.log');
    // a receive that fails at once (no client attached yet) is retried a second later, not in a hot loop
    const loop = `while :; do env ${TRANSFER_MARK}=1 ${shellQuote(process.execPath)} ${shellQuote(GRITTY_BIN)} receive ${shellQuote(dir)} --timeout 3600 >/dev/null 2>>${shellQuote(log)} || sleep 1; done`;
    h.gritty(['new', '-d', '-c', `exec sh -c ${shellQuote(`(${loop}) & ${ECHO_SCRIPT}`)}`, `${h.host}:${SESSION}`]);
    const session = new TransferSession(h, dir);
    try {
      await session.term.waitFor('READY', 30_000);
    } catch (err) {
      session.close();
      throw err;
    }
    return session;
  }

  /** `gritty send FILE` on the laptop, paired with this session's receiver. */
  send(file: string): { child: ChildProcess; done: Promise<void> } {
    return run([process.execPath, GRITTY_BIN, 'send', file, '--session', this.target, '--timeout', '60'], this.h.env);
  }

  close(): void {
    this.term.close();
    spawnSync(process.execPath, [GRITTY_BIN, 'kill-session', this.target], { env: this.h.env, stdio: 'ignore', timeout: 10_000 });
    signalAll(this.h.remotePids().filter((p) => p.argv.includes('receive')).map((p) => p.pid), 'SIGKILL');
  }
}

function pick(test: (p: ProcessInfo) => boolean): RolePicker {
  return (all) => all.filter(test).map((p) => p.pid);
}

function grittyRoles(h: SshHarness, target: string, dir: string): Map<string, RolePicker> {
  const sshPid = h.tunnel()?.sshPid;
  if (sshPid === undefined) throw new Error('no tunnel to measure');
  const laptopRun = h.laptop.env.XDG_RUNTIME_DIR!;
  const laptop = new Set(processesWithEnv('XDG_RUNTIME_DIR', laptopRun).map((p) => p.pid));
  const remote = new Set(h.remotePids().map((p) => p.pid));
  const node = (p: ProcessInfo): boolean => p.exe === 'node';
  return new Map<string, RolePicker>([
    // the sender starts after this listing: it is told apart by its argv, the client by its pid
    ['`gritty send` (laptop)', pick((p) => node(p) && p.argv[2] === 'send' && p.argv.includes(target))],
    ['gritty client (`gritty attach`, laptop)', pick((p) => laptop.has(p.pid) && node(p) && p.argv.includes('attach'))],
    ['ssh (the tunnel)', pick((p) => p.pid === sshPid)],
    ['sshd', () => h.sshdServing(sshPid)],
    ['gritty daemon (all threads)', pick((p) => remote.has(p.pid) && node(p) && p.argv.includes('--foreground'))],
    ['`gritty receive` (in the session)', pick((p) => node(p) && p.argv[2] === 'receive' && p.argv.includes(dir))],
  ]);
}

function scpRoles(scpMark: string): Map<string, RolePicker> {
  const marked = (all: ProcessInfo[]): ProcessInfo[] => {
    const roots = all.filter((p) => p.exe === 'scp' && p.argv.includes(scpMark));
    return roots.flatMap((root) => [root, ...descendantsOf(root.pid, all)]);
  };
  return new Map<string, RolePicker>([
    ['scp and its ssh (laptop)', (all) => marked(all).filter((p) => (p.exe === 'scp' && p.argv.includes(scpMark)) || p.exe === 'ssh').map((p) => p.pid)],
    ['sshd and the remote `scp -t`', (all) => marked(all).filter((p) => p.exe === 'sshd' || (p.exe === 'scp' && !p.argv.includes(scpMark))).map((p) => p.pid)],
  ]);
}

function addPerMiB(into: Map<string, number>, cpuMs: Map<string, number>, bytes: number): void {
  for (const [role, ms] of cpuMs) into.set(role, (into.get(role) ?? 0) + ms / (bytes / MiB));
}

export async function measureTransfer(h: SshHarness, options: TransferBenchOptions, log: (text: string) => void): Promise<TransferBenchResult> {
  const source = join(h.scratch, 'transfer-payload.bin');
  const received = join(h.scratch, 'transfer-received');
  const scpDest = join(h.scratch, 'transfer-scp');
  mkdirSync(received, { recursive: true });
  mkdirSync(scpDest, { recursive: true });
  const digest = payload(source, options.bytes);
  const arrived = join(received, 'transfer-payload.bin');
  const scpArrived = join(scpDest, 'transfer-payload.bin');
  let session: TransferSession | undefined;
  try {
    session = await TransferSession.open(h, received);
    const s = session;
    const scp = (): { child: ChildProcess; done: Promise<void> } =>
      run(['scp', '-O', '-q', '-S', h.ssh[0]!, source, `${h.host}:${scpDest}/`], { ...process.env, [TRANSFER_MARK]: '1' });
    const timed = async (path: 'gritty' | 'scp', roles: Map<string, RolePicker>): Promise<{ bytesPerSec: number; cpuMs: Map<string, number> }> => {
      const landed = path === 'gritty' ? arrived : scpArrived;
      rmSync(landed, { force: true });
      const started = nowMs();
      const { cpuMs } = await cpuSampled(roles, () => (path === 'gritty' ? s.send(source) : scp()).done);
      const bytesPerSec = (options.bytes / (nowMs() - started)) * 1000;
      if ((await sha256Of(landed)) !== digest) throw new Error(`${path} delivered a copy whose sha256 differs`);
      rmSync(landed, { force: true });
      return { bytesPerSec, cpuMs };
    };
    const result: TransferBenchResult = {
      bytes: options.bytes,
      gritty: [],
      scp: [],
      grittyCpuMsPerMiB: new Map(),
      scpCpuMsPerMiB: new Map(),
      idle: figures([]),
      transferring: figures([]),
    };
    // one untimed run of each path first: it pays connection setup, JIT and the page cache
    await timed('gritty', grittyRoles(h, s.target, received));
    await timed('scp', scpRoles(source));
    for (let i = 0; i < options.runs; i++) {
      const g = await timed('gritty', grittyRoles(h, s.target, received));
      const c = await timed('scp', scpRoles(source));
      result.gritty.push(g.bytesPerSec);
      result.scp.push(c.bytesPerSec);
      addPerMiB(result.grittyCpuMsPerMiB, g.cpuMs, options.bytes * options.runs);
      addPerMiB(result.scpCpuMsPerMiB, c.cpuMs, options.bytes * options.runs);
      log(`  run ${i + 1}: gritty send ${(g.bytesPerSec / MiB).toFixed(1)} MB/s, scp ${(c.bytesPerSec / MiB).toFixed(1)} MB/s`);
    }
    const perMiB = (m: Map<string, number>): string => [...m].map(([role, ms]) => `${role} ${ms.toFixed(2)}`).join(', ');
    log(`  CPU ms per MiB: gritty: ${perMiB(result.grittyCpuMsPerMiB)}; scp: ${perMiB(result.scpCpuMsPerMiB)}`);
    log(`transfer throughput: gritty send ${(median(result.gritty) / MiB).toFixed(1)} MB/s, scp ${(median(result.scp) / MiB).toFixed(1)} MB/s (medians)`);

    Object.assign(result, await echoBesideTransfers(s, source, arrived, options));
    log(`echo during a transfer: p50 ${result.transferring.p50Ms.toFixed(3)} ms, p99 ${result.transferring.p99Ms.toFixed(3)} ms; idle p50 ${result.idle.p50Ms.toFixed(3)} ms, p99 ${result.idle.p99Ms.toFixed(3)} ms`);
    return result;
  } finally {
    session?.close();
    signalAll(processesWithEnv(TRANSFER_MARK, '1').map((p) => p.pid), 'SIGKILL');
    rmSync(source, { force: true });
    rmSync(received, { recursive: true, force: true });
    rmSync(scpDest, { recursive: true, force: true });
  }
}

/** Echo rounds alternating idle and "a transfer is flowing"; a sample counts as during a transfer only if the sender still ran after it. */
async function echoBesideTransfers(s: TransferSession, source: string, arrived: string, options: TransferBenchOptions): Promise<{ idle: EchoFigures; transferring: EchoFigures }> {
  for (let i = 0; i < options.echoWarmup; i++) await echoSample(s.term, options.gapMs);
  const idle: number[] = [];
  const transferring: number[] = [];
  const perRound = Math.ceil(options.echoSamples / ROUNDS);
  let sending: { child: ChildProcess; done: Promise<void> } | undefined;
  const start = async (): Promise<void> => {
    rmSync(arrived, { force: true });
    sending = s.send(source);
    sending.done.catch(() => undefined);
    await waitFor(() => bytesIn(s.dir) >= FLOWING_BYTES, 60_000, 'the transfer to flow');
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let taken = 0; taken < perRound; ) {
        if (sending === undefined || sending.child.exitCode !== null) await start();
        const ms = await echoSample(s.term, options.gapMs);
        if (sending!.child.exitCode === null) {
          transferring.push(ms);
          taken += 1;
        }
      }
      await sending!.done;
      sending = undefined;
      rmSync(arrived, { force: true });
      for (let i = 0; i < perRound; i++) idle.push(await echoSample(s.term, options.gapMs));
    }
  } finally {
    sending?.child.kill('SIGKILL');
  }
  return { idle: figures(idle), transferring: figures(transferring) };
}
