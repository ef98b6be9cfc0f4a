import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processesWithEnv } from './processes.js';

/** The built CLI, as a user runs it. `npm test` builds before vitest runs. */
export const GRITTY_BIN = fileURLToPath(new URL('../../bin/gritty', import.meta.url));

/**
 * A private gritty world: its own runtime, state and config dirs under a temp dir, so
 * a test's daemon and sockets never meet another test's or the user's.
 */
export interface GrittyEnv {
  root: string;
  env: NodeJS.ProcessEnv;
  socketDir: string;
  ctlSocket: string;
  /** Runs the CLI to completion. */
  run(args: string[], options?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): { status: number | null; stdout: string; stderr: string };
  /** Starts the CLI without waiting. */
  spawn(args: string[]): ChildProcess;
  /** kill-server (ignoring failure) and removes the temp dir. */
  cleanup(): void;
}

export function makeGrittyEnv(): GrittyEnv {
  const root = mkdtempSync(join(tmpdir(), 'gritty-test-'));
  chmodSync(root, 0o700);
  mkdirSync(join(root, 'home'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_RUNTIME_DIR: join(root, 'run'),
    XDG_STATE_HOME: join(root, 'state'),
    XDG_CONFIG_HOME: join(root, 'config'),
    // a home of its own, so session login shells do not run the real home's rc files
    // (on this machine root's .bashrc runs pyenv rehash, whose lock a killed shell leaves stale)
    HOME: join(root, 'home'),
    SHELL: '/bin/bash',
    TERM: 'xterm-256color',
  };
  delete env.TMUX;
  delete env.TMUX_PANE;
  const socketDir = join(root, 'run', 'gritty');
  const self: GrittyEnv = {
    root,
    env,
    socketDir,
    ctlSocket: join(socketDir, 'ctl.sock'),
    run(args, options = {}) {
      const r = spawnSync(process.execPath, [GRITTY_BIN, ...args], {
        env: { ...env, ...options.env },
        input: options.input,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 20_000,
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    spawn(args) {
      return spawn(process.execPath, [GRITTY_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    },
    cleanup() {
      self.run(['kill-server'], { timeoutMs: 10_000 });
      // whatever kill-server missed (a loaded machine, a test that killed the socket):
      // every process that inherited this world's runtime dir goes, so no daemon outlives its test
      for (const leftover of processesWithEnv('XDG_RUNTIME_DIR', env.XDG_RUNTIME_DIR!)) {
        try {
          process.kill(leftover.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  return self;
}

/** A private world with its server already running: the setup of the protocol-level tests. */
export function makeServerWorld(): GrittyEnv {
  const world = makeGrittyEnv();
  const started = world.run(['server']);
  if (started.status !== 0) {
    world.cleanup();
    throw new Error(`gritty server did not start (status ${started.status}): ${started.stderr}`);
  }
  return world;
}
