import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI, as a user runs it (bench/ compiles to dist/bench/, next to dist/src/). */
export const GRITTY_BIN = fileURLToPath(new URL('../../bin/gritty', import.meta.url));

/**
 * A private gritty world, as in test/helpers/daemon.ts: its own runtime, state and
 * config dirs under a temp dir, so the bench's daemon never meets the user's.
 */
export class GrittyWorld {
  readonly root = mkdtempSync(join(tmpdir(), 'gritty-bench-'));
  readonly env: Record<string, string>;

  constructor() {
    chmodSync(this.root, 0o700);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    delete env.TMUX;
    delete env.TMUX_PANE;
    delete env.STY;
    Object.assign(env, {
      XDG_RUNTIME_DIR: join(this.root, 'run'),
      XDG_STATE_HOME: join(this.root, 'state'),
      XDG_CONFIG_HOME: join(this.root, 'config'),
      SHELL: '/bin/bash',
      TERM: 'xterm-256color',
    });
    this.env = env;
  }

  /** The argv that runs the CLI with `args`. */
  argv(args: string[]): { file: string; args: string[] } {
    return { file: process.execPath, args: [GRITTY_BIN, ...args] };
  }

  /** Runs the CLI to completion and throws on a non-zero exit. */
  run(args: string[], timeoutMs = 20_000): string {
    const r = spawnSync(process.execPath, [GRITTY_BIN, ...args], { env: this.env, encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`gritty ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout;
  }

  /** Like run(), without blocking the event loop (for running several at once). */
  runAsync(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [GRITTY_BIN, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`gritty ${args.join(' ')} failed (${code}): ${err}`))));
    });
  }

  /** The daemon's pid, from `gritty info --json`. */
  serverPid(): number {
    const facts = JSON.parse(this.run(['info', '--json'])) as { server: { pid?: number } | string };
    if (typeof facts.server !== 'object' || facts.server.pid === undefined) throw new Error('the gritty server is not running');
    return facts.server.pid;
  }

  /** Stops the daemon (and so every session) and removes the temp dir. */
  cleanup(): void {
    spawnSync(process.execPath, [GRITTY_BIN, 'kill-server'], { env: this.env, timeout: 10_000 });
    rmSync(this.root, { recursive: true, force: true });
  }
}
