import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { GrittyError } from '../relay/errors.js';
import { Logger, prepareLogFile } from '../relay/log.js';
import { PROTOCOL_VERSION } from '../relay/messages.js';
import { ensurePrivateDir } from '../relay/secure-socket.js';
import type { CliContext } from './context.js';
import { probeRemoteServer } from './remote-server.js';
import { remoteBin, sshProgram } from './ssh-command.js';
import { TunnelSupervisor } from './tunnel-supervisor.js';
import { effectiveStatus, readTunnelState, removeTunnelFiles } from './tunnel-state.js';

/** How long `connect` (and new/attach) wait for a fresh tunnel to forward, without -w. */
const READY_TIMEOUT_MS = 20_000;
const POLL_MS = 50;

export interface TunnelRequest {
  name: string;
  destination: string;
  /** The ssh program and the remote gritty, from the environment or the config. */
  ssh: string;
  remoteBin: string | undefined;
  sshOptions: string[];
  serverStart: boolean;
  ignoreVersionMismatch: boolean;
  /** Wait indefinitely for the tunnel to become healthy. */
  wait: boolean;
}

export function tunnelLogFile(stateDir: string, name: string): string {
  return join(stateDir, `tunnel-${name}.log`);
}

/**
 * Makes sure a supervisor runs for `name`: probes the remote over ssh (starting its
 * daemon and learning its socket and protocol), then starts the supervisor in the
 * background and waits until the tunnel forwards. Returns false when one already ran.
 */
export async function ensureTunnel(ctx: CliContext, req: TunnelRequest): Promise<boolean> {
  const existing = readTunnelState(ctx.paths.socketDir, req.name);
  if (existing !== undefined) {
    if (effectiveStatus(existing) !== 'stale') return false;
    removeTunnelFiles(ctx.paths.socketDir, req.name);
  }
  const remote = await probeRemote(req);
  ensurePrivateDir(ctx.paths.socketDir);
  prepareLogFile(tunnelLogFile(ctx.paths.stateDir, req.name));
  const logFd = openSync(tunnelLogFile(ctx.paths.stateDir, req.name), 'a', 0o600);
  const args = [
    ctx.entry,
    ...(ctx.verbose ? ['--verbose'] : []),
    'connect',
    '--supervise',
    JSON.stringify({ socket: remote.socket, protocol: remote.protocol }),
    '-n',
    req.name,
    ...req.sshOptions.flatMap((o) => ['-o', o]),
    req.destination,
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd], env: process.env });
  closeSync(logFd);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.unref();
  await waitHealthy(ctx, req, () => exited);
  return true;
}

/**
 * A tunnel request with the config applied: ssh options from the command line come
 * first, then [host.<name>], then [defaults.connect]; no-server-start from the flag or the config.
 */
export function tunnelRequest(
  ctx: CliContext,
  req: { name: string; destination: string | undefined; sshOptions: string[]; noServerStart: boolean; ignoreVersionMismatch: boolean; wait: boolean },
): TunnelRequest {
  const settings = ctx.settings(req.name);
  return {
    name: req.name,
    destination: req.destination ?? settings.destination ?? req.name,
    ssh: sshProgram(settings.sshCommand),
    remoteBin: remoteBin(settings.remoteBin),
    sshOptions: [...req.sshOptions, ...settings.sshOptions],
    serverStart: !(req.noServerStart || settings.noServerStart),
    ignoreVersionMismatch: req.ignoreVersionMismatch,
    wait: req.wait,
  };
}

/** Runs the supervisor in this process (`connect -f`). */
export async function runTunnelForeground(ctx: CliContext, req: TunnelRequest): Promise<number> {
  const remote = await probeRemote(req);
  return superviseHere(ctx, req, remote);
}

export function superviseHere(ctx: CliContext, req: TunnelRequest, remote: { socket: string; protocol: number }): Promise<number> {
  ensurePrivateDir(ctx.paths.socketDir);
  const log = new Logger(ctx.verbose ? 'stderr' : { file: tunnelLogFile(ctx.paths.stateDir, req.name) }, ctx.verbose ? 'debug' : 'info');
  return new TunnelSupervisor({
    socketDir: ctx.paths.socketDir,
    name: req.name,
    ssh: req.ssh,
    destination: req.destination,
    remoteSocket: remote.socket,
    protocol: remote.protocol,
    userOptions: req.sshOptions,
    log,
  }).run();
}

async function probeRemote(req: TunnelRequest): Promise<{ socket: string; protocol: number }> {
  const remote = await probeRemoteServer({
    ssh: req.ssh,
    destination: req.destination,
    userOptions: req.sshOptions,
    remoteBin: req.remoteBin,
    start: req.serverStart,
  });
  if (remote.protocol !== PROTOCOL_VERSION && !req.ignoreVersionMismatch) {
    throw new GrittyError(
      'version-mismatch',
      `gritty on ${req.destination} speaks protocol ${remote.protocol}, this one ${PROTOCOL_VERSION}; upgrade the older side (or connect anyway with --ignore-version-mismatch)`,
    );
  }
  return remote;
}

/** Waits for the supervisor to report a forwarding ssh; fails with its last word if it gives up. */
export async function waitHealthy(ctx: CliContext, req: Pick<TunnelRequest, 'name' | 'destination' | 'wait'>, supervisorExited: () => boolean = () => false): Promise<void> {
  const deadline = req.wait ? Infinity : Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const state = readTunnelState(ctx.paths.socketDir, req.name);
    if (state?.status === 'healthy') return;
    if (supervisorExited() || (state !== undefined && effectiveStatus(state) === 'stale')) {
      throw new GrittyError('tunnel-failed', `the tunnel to ${req.destination} stopped while starting; see ${tunnelLogFile(ctx.paths.stateDir, req.name)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const state = readTunnelState(ctx.paths.socketDir, req.name);
  throw new GrittyError(
    'tunnel-failed',
    `the tunnel to ${req.destination} is not up after ${READY_TIMEOUT_MS / 1000} s${state?.message !== undefined ? ` (ssh: ${state.message})` : ''}; check gritty tunnels, or wait with -w`,
  );
}
