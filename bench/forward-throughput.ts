import { spawn } from 'node:child_process';
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
}

/** The warm-up run of each path is this fraction of the payload: it pays connection and JIT costs, not the full time. */
const WARMUP_FRACTION = 1 / 8;

function consume(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STREAM_CONSUMER, 'timed', String(port), String(bytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const got = out.trim() === '' ? undefined : (JSON.parse(out) as { bytes: number; ms: number });
      if (code !== 0 || got === undefined) reject(new Error(`stream of ${bytes} bytes through 127.0.0.1:${port}: got ${got?.bytes ?? 'nothing'} (exit ${code}) ${err.trim()}`));
      else resolve((bytes / got.ms) * 1000);
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
    const result: ForwardThroughputResult = { bytes: options.bytes, gritty: [], ssh: [] };
    const warm = Math.max(1, Math.round(options.bytes * WARMUP_FRACTION));
    await consume(lfPort, warm);
    await consume(sshPort, warm);
    for (let run = 0; run < options.runs; run++) {
      result.gritty.push(await consume(lfPort, options.bytes));
      result.ssh.push(await consume(sshPort, options.bytes));
      log(`  run ${run + 1}: gritty lf ${(result.gritty.at(-1)! / 2 ** 20).toFixed(1)} MB/s, ssh -L ${(result.ssh.at(-1)! / 2 ** 20).toFixed(1)} MB/s`);
    }
    log(`forward throughput: gritty lf ${(median(result.gritty) / 2 ** 20).toFixed(1)} MB/s, ssh -L ${(median(result.ssh) / 2 ** 20).toFixed(1)} MB/s (medians)`);
    return result;
  } finally {
    sshForward.kill('SIGKILL');
    session?.close();
    server.stop();
  }
}
