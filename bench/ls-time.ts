import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitedChildrenCpuMs } from './cpu.js';
import { median, nowMs } from './stats.js';

export interface LsTimeResult {
  name: string;
  medianMs: number;
  runs: number;
  tool: 'hyperfine' | 'spawnSync';
  /** Mean user + system CPU per run: steadier than wall time on a loaded machine. */
  cpuMs: number;
}

const WARMUP_RUNS = 3;

/**
 * Wall time of one list command, from fork to exit, median of `runs`. hyperfine
 * (without a shell in between) when installed, else timed spawnSync calls, whose CPU
 * the kernel adds to this process's reaped children's time.
 */
export function timeCommand(name: string, argv: string[], env: Record<string, string>, runs: number): LsTimeResult {
  const fullEnv = { ...process.env, ...env };
  const probe = spawnSync(argv[0]!, argv.slice(1), { env: fullEnv, encoding: 'utf8', timeout: 20_000 });
  if (probe.status !== 0) throw new Error(`${argv.join(' ')} exited with ${probe.status ?? probe.signal}: ${probe.stderr.trim()}`);
  const hasHyperfine = spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hasHyperfine) {
    const dir = mkdtempSync(join(tmpdir(), 'gritty-bench-hf-'));
    try {
      const json = join(dir, 'out.json');
      const command = argv.map(quoteWord).join(' ');
      const r = spawnSync('hyperfine', ['-N', '--style', 'none', '--warmup', String(WARMUP_RUNS), '--runs', String(runs), '--export-json', json, command], {
        env: fullEnv,
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (r.status !== 0) throw new Error(`hyperfine failed on ${command}: ${r.stderr}`);
      const out = JSON.parse(readFileSync(json, 'utf8')) as { results: { median: number; times: number[]; user: number; system: number }[] };
      const result = out.results[0]!;
      return { name, medianMs: result.median * 1000, runs: result.times.length, tool: 'hyperfine', cpuMs: (result.user + result.system) * 1000 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const times: number[] = [];
  let cpuBefore = 0;
  for (let i = 0; i < WARMUP_RUNS + runs; i++) {
    if (i === WARMUP_RUNS) cpuBefore = waitedChildrenCpuMs();
    const start = nowMs();
    const r = spawnSync(argv[0]!, argv.slice(1), { env: fullEnv, stdio: 'ignore' });
    const elapsed = nowMs() - start;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}`);
    if (i >= WARMUP_RUNS) times.push(elapsed);
  }
  return { name, medianMs: median(times), runs, tool: 'spawnSync', cpuMs: (waitedChildrenCpuMs() - cpuBefore) / runs };
}

function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
