import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { daemonEnv } from '../relay/daemon-env.js';
import { GrittyError } from '../relay/errors.js';
import { prepareLogFile } from '../relay/log.js';
import { daemonLogFile } from '../relay/paths.js';
import { checkSocketPath, ensurePrivateDir, socketAlive } from '../relay/secure-socket.js';
import type { CliContext } from './context.js';

/** How long a freshly spawned daemon has to start listening before we give up (without -w). */
const START_TIMEOUT_MS = 10_000;
const POLL_MS = 25;
/**
 * V8's young generation for the daemon, in MiB per semi-space (Node 20's default grows
 * to 16). A client that takes every byte of a flood makes the daemon allocate fast, and
 * a young generation grown to match stayed ~20 MB above its warm-up level in the
 * 1 000-cycle soak; at 2 MiB RSS stayed flat and CPU per MiB did not rise
 * (docs/PERFORMANCE-NOTES.md, "Bounded lag").
 */
const DAEMON_SEMI_SPACE_MIB = 2;

/**
 * Makes sure a local daemon listens on the ctl socket, spawning `gritty server -f` in
 * the background (its own session, output to the daemon log) when none does.
 * Returns whether one was started.
 */
export async function ensureLocalServer(ctx: CliContext, options: { wait: boolean }): Promise<boolean> {
  const socket = ctx.paths.ctlSocket;
  // refuse an unsafe socket dir here, in words, rather than as a daemon that died while starting
  ensurePrivateDir(dirname(socket));
  checkSocketPath(socket);
  if (await socketAlive(socket)) return false;
  const logFile = daemonLogFile(ctx.paths.stateDir);
  prepareLogFile(logFile);
  const logFd = openSync(logFile, 'a', 0o600);
  const args = [ctx.entry, '--ctl-socket', socket, ...(ctx.verbose ? ['--verbose'] : []), 'server', '--foreground'];
  // --expose-gc: the daemon collects a burst of requests' garbage once quiet (server/quiet-collector.ts)
  const child = spawn(process.execPath, [`--max-semi-space-size=${DAEMON_SEMI_SPACE_MIB}`, '--expose-gc', ...args], { detached: true, stdio: ['ignore', logFd, logFd], env: daemonEnv(process.env) });
  closeSync(logFd);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = options.wait ? Infinity : Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await socketAlive(socket)) return true;
    if (exited !== null && !(await socketAlive(socket))) {
      if (!options.wait) throw new GrittyError('server-start-failed', `the gritty server exited with status ${exited} while starting; see ${logFile}`);
      return ensureLocalServer(ctx, options);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new GrittyError('server-start-failed', `the gritty server did not start listening on ${socket} within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
}
