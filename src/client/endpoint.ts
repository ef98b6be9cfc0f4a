import { join } from 'node:path';
import { GrittyError } from '../relay/errors.js';
import { LOCAL_HOST } from '../relay/names.js';
import type { CliContext } from './context.js';
import { openDaemon, type DaemonLink } from './daemon-client.js';
import { ensureLocalServer } from './server-start.js';

/** The local socket through which a host's daemon is reached. */
export function hostSocket(ctx: CliContext, host: string): string {
  return host === LOCAL_HOST ? ctx.paths.ctlSocket : join(ctx.paths.socketDir, `connect-${host}.sock`);
}

export interface OpenOptions {
  /** Start the daemon when none runs (new, attach -c). */
  autostart: boolean;
  /** Wait indefinitely for the daemon instead of failing after a few seconds. */
  wait: boolean;
  allowMismatch?: boolean;
}

/** A handshaken connection to the daemon of `host`. */
export async function openHost(ctx: CliContext, host: string, options: OpenOptions): Promise<DaemonLink> {
  if (host !== LOCAL_HOST) {
    throw new GrittyError('bad-target', `no connection named ${host}; remote hosts are reached with gritty connect ${host} first`);
  }
  if (options.autostart) await ensureLocalServer(ctx, { wait: options.wait });
  try {
    return await openDaemon(hostSocket(ctx, host), ctx.identity, { allowMismatch: options.allowMismatch });
  } catch (err) {
    if (err instanceof GrittyError && err.code === 'no-server') {
      throw new GrittyError('no-server', `no gritty server is running on ${host}; start one with gritty new ${host}:NAME or gritty server`, { cause: err });
    }
    throw err;
  }
}
