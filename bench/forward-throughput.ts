import { spawn, type ChildProcess } from 'node:child_process';
import { cpuDuring, type Roles } from './cpu.js';
import { descendantsOf, processesWithEnv } from './processes.js';
import { freePort, ForwardSession, STREAM_CONSUMER, startStreamServer, waitListening } from './forward-world.js';
import type { SshHarness } from './sshd-harness.js';
import { median } from './stats.js';

/**
 * Port-forward throughput (issue 8): one stream of N bytes from the laptop's stream
 * server, read flat out by the consumer through `gritty lf` (session host listens,
 * laptop connects) and through `ssh -N -L` to the same private sshd, runs interleaved.
 * The consumer times from its request to the stream's last byte and checks the count.
 */

export interface ForwardThroughputOptions {
  bytes: number;
  runs: number;
}

export interface ForwardThroughputResult {
  bytes: number;
  /** Bytes per second, one per timed run. */
  gritty: number[];
  ssh: number[];
  /** CPU ms per MiB streamed, by process, summed over the timed runs of each path. */
  grittyCpuMsPerMiB: Map<string, number>;
  sshCpuMsPerMiB: Map<string, number>;
}

/** The processes a stream through `gritty lf` crosses (the consumer reports its own CPU). */
function grittyRoles(h: SshHarness, server: ChildProcess, target: string): Roles {
  const sshPid = h.tunnel()?.sshPid;
  if (sshPid === undefined) throw new Error('no tunnel to measure');
  const laptop = processesWithEnv('XDG_RUNTIME_DIR', h.laptop.env.XDG_RUNTIME_DIR!);
  const remote = h.remotePids();
  const pick = (list: typeof laptop, ...words: string[]): number[] => list.filter((p) => p.exe === 'node' && words.every((w) => p.argv.includes(w))).map((p) => p.pid);
  return new Map([
    ['stream server (laptop)', [server.pid!]],
    ['gritty client (`gritty attach`, laptop)', pick(laptop, 'attach', target)],
    ['ssh (the tunnel)', [sshPid]],
    ['sshd', h.sshdServing(sshPid)],
    ['gritty daemon (all threads)', pick(remote, 'server', '--foreground')],
    ['`gritty lf` (in the session: holds the forward, the daemon carries the bytes)', pick(remote, 'lf')],
  ]);
}

function sshRoles(h: SshHarness, server: ChildProcess, sshForward: ChildProcess): Roles {
  return new Map([
    ['stream server (laptop)', [server.pid!]],
    ['ssh -L', [sshForward.pid!]],
    ['sshd', h.sshdServing(sshForward.pid!)],
  ]);
}

const CONSUMER_ROLE = 'consumer (its whole life)';
const MiB = 1024 * 1024;

function addPerMiB(into: Map<string, number>, cpuMs: Map<string, number>, bytes: number): void {
  for (const [role, ms] of cpuMs) into.set(role, (into.get(role) ?? 0) + ms / (bytes / MiB));
}

/** The warm-up run of each path is this fraction of the payload: it pays connection and JIT costs, not the full time. */
const WARMUP_FRACTION = 1 / 8;

interface Consumed {
  bytesPerSec: number;
  /** The consumer's own CPU ms, start-up included. */
  cpuMs: number;
}

function consume(port: number, bytes: number): Promise<Consumed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STREAM_CONSUMER, 'timed', String(port), String(bytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const got = out.trim() === '' ? undefined : (JSON.parse(out) as { bytes: number; ms: number; cpuMs: number });
      if (code !== 0 || got === undefined) reject(new Error(`stream of ${bytes} bytes through 127.0.0.1:${port}: got ${got?.bytes ?? 'nothing'} (exit ${code}) ${err.trim()}`));
      else resolve({ bytesPerSec: (bytes / got.ms) * 1000, cpuMs: got.cpuMs });
    });
  });
}

export async function measureForwardThroughput(h: SshHarness, options: ForwardThroughputOptions, log: (text: string) => void): Promise<ForwardThroughputResult> {
  const server = await startStreamServer();
  const lfPort = await freePort();
  const sshPort = await freePort();
  let session: ForwardSession | undefined;
  const sshForward = spawn(h.ssh[0]!, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${sshPort}:127.0.0.1:${server.port}`, ...h.ssh.slice(1)], { stdio: 'ignore' });
  try {
    session = await ForwardSession.open(h, 'forward-throughput', lfPort, server.port, () => "printf 'READY'; exec cat >/dev/null");
    await waitListening(lfPort, 30_000, 'gritty lf');
    await waitListening(sshPort, 30_000, 'ssh -L');
    const result: ForwardThroughputResult = { bytes: options.bytes, gritty: [], ssh: [], grittyCpuMsPerMiB: new Map(), sshCpuMsPerMiB: new Map() };
    const warm = Math.max(1, Math.round(options.bytes * WARMUP_FRACTION));
    await consume(lfPort, warm);
    await consume(sshPort, warm);
    const timed = async (port: number, roles: Roles, rates: number[], perMiB: Map<string, number>): Promise<void> => {
      const { value, cpuMs } = await cpuDuring(roles, () => consume(port, options.bytes));
      rates.push(value.bytesPerSec);
      cpuMs.set(CONSUMER_ROLE, value.cpuMs);
      addPerMiB(perMiB, cpuMs, options.bytes * options.runs);
    };
    for (let run = 0; run < options.runs; run++) {
      await timed(lfPort, grittyRoles(h, server.process, session.target), result.gritty, result.grittyCpuMsPerMiB);
      await timed(sshPort, sshRoles(h, server.process, sshForward), result.ssh, result.sshCpuMsPerMiB);
      log(`  run ${run + 1}: gritty lf ${(result.gritty.at(-1)! / MiB).toFixed(1)} MB/s, ssh -L ${(result.ssh.at(-1)! / MiB).toFixed(1)} MB/s`);
    }
    const perMiB = (m: Map<string, number>): string => [...m].map(([role, ms]) => `${role} ${ms.toFixed(1)}`).join(', ');
    log(`  CPU ms per MiB: gritty lf path: ${perMiB(result.grittyCpuMsPerMiB)}; ssh -L path: ${perMiB(result.sshCpuMsPerMiB)}`);
    log(`forward throughput: gritty lf ${(median(result.gritty) / MiB).toFixed(1)} MB/s, ssh -L ${(median(result.ssh) / MiB).toFixed(1)} MB/s (medians)`);
    return result;
  } finally {
    sshForward.kill('SIGKILL');
    session?.close();
    server.stop();
  }
}
