import { GrittyError } from '../relay/errors.js';
import { LOCAL_HOST } from '../relay/names.js';
import type { CliContext } from './context.js';
import { openDaemon, type DaemonLink } from './daemon-client.js';
import { ensureLocalServer } from './server-start.js';
import { ensureTunnel, tunnelRequest, waitHealthy } from './tunnel-start.js';
import { effectiveStatus, readTunnelState, tunnelSocketPath } from './tunnel-state.js';

/** The local socket through which a host's daemon is reached. */
export function hostSocket(ctx: CliContext, host: string): string {
  return host === LOCAL_HOST ? ctx.paths.ctlSocket : tunnelSocketPath(ctx.paths.socketDir, host);
}

export interface OpenOptions {
  /** Start what is missing: the local daemon, or the tunnel (and remote daemon) of a remote host. */
  autostart: boolean;
  /** Wait indefinitely for the daemon or tunnel instead of failing after a few seconds. */
  wait: boolean;
  allowMismatch?: boolean;
}

/** A handshaken connection to the daemon of `host`, starting its server or tunnel when asked. */
export async function openHost(ctx: CliContext, host: string, options: OpenOptions): Promise<DaemonLink> {
  if (host === LOCAL_HOST) {
    if (options.autostart) await ensureLocalServer(ctx, { wait: options.wait });
  } else {
    await readyTunnel(ctx, host, options);
  }
  try {
    return await openDaemon(hostSocket(ctx, host), ctx.identity, { allowMismatch: options.allowMismatch });
  } catch (err) {
    if (err instanceof GrittyError && err.code === 'no-server' && host === LOCAL_HOST) {
      throw new GrittyError('no-server', `no gritty server is running on ${host}; start one with gritty new ${host}:NAME or gritty server`, { cause: err });
    }
    throw err;
  }
}

/** One quick attempt, for reconnects: no starting, no waiting. */
export function reopenHost(ctx: CliContext, host: string): Promise<DaemonLink> {
  return openDaemon(hostSocket(ctx, host), ctx.identity);
}

/** Tells a host's tunnel supervisor that a client's link died, so it replaces ssh now. */
export function nudgeTunnel(ctx: CliContext, host: string): void {
  if (host === LOCAL_HOST) return;
  const state = readTunnelState(ctx.paths.socketDir, host);
  if (state === undefined || effectiveStatus(state) === 'stale') return;
  try {
    process.kill(state.pid, 'SIGUSR1');
  } catch {
    // the supervisor just exited; the next reconnect attempt says so
  }
}

async function readyTunnel(ctx: CliContext, host: string, options: OpenOptions): Promise<void> {
  const state = readTunnelState(ctx.paths.socketDir, host);
  const usable = state !== undefined && effectiveStatus(state) !== 'stale';
  if (!usable) {
    if (!options.autostart) {
      throw new GrittyError(
        'no-server',
        state === undefined
          ? `no connection named ${host}; run gritty connect ${host} (gritty new ${host}:NAME connects by itself)`
          : `the tunnel to ${host} is stale (its supervisor is gone); run gritty disconnect ${host} and gritty connect ${state.destination}`,
      );
    }
    const request = tunnelRequest(ctx, { name: host, destination: state?.destination, sshOptions: [], noServerStart: false, ignoreVersionMismatch: false, wait: options.wait });
    await ensureTunnel(ctx, state === undefined ? request : { ...request, sshOptions: state.sshOptions });
    return;
  }
  if (state.status !== 'healthy') await waitHealthy(ctx, { name: host, destination: state.destination, wait: options.wait });
}
