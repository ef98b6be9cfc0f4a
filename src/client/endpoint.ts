import { GrittyError, isGrittyError } from '../relay/errors.js';
import { paths } from '../relay/paths.js';
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
  return openDaemon(hostSocket(ctx, host), ctx.identity, { allowMismatch: options.allowMismatch }).catch((err: unknown) => {
    throw noServerInWords(ctx, host, err);
  });
}

/** One quick attempt, for reconnects: no starting, no waiting. */
export function reopenHost(ctx: CliContext, host: string): Promise<DaemonLink> {
  return openDaemon(hostSocket(ctx, host), ctx.identity).catch((err: unknown) => {
    throw noServerInWords(ctx, host, err);
  });
}

/** Whether the local socket is the default one: only then is "no server" simply "no sessions" to ls. */
export function defaultLocalSocket(ctx: CliContext): boolean {
  return ctx.paths.ctlSocket === paths().ctlSocket;
}

/** The one wording of "no server" for the local host, whichever command met it. */
function noServerInWords(ctx: CliContext, host: string, err: unknown): unknown {
  if (!isGrittyError(err, 'no-server') || host !== LOCAL_HOST) return err;
  const where = defaultLocalSocket(ctx) ? 'on local' : `on ${ctx.paths.ctlSocket}`;
  return new GrittyError('no-server', `no gritty server is running ${where}; start one with gritty new local:NAME or gritty server`, { cause: err });
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
