import { GrittyError } from '../../relay/errors.js';
import type { CommandSpec } from '../context.js';
import { checkConnectionName } from '../connection-name.js';
import { effectiveStatus, processAlive, readTunnelState, removeTunnelFiles } from '../tunnel-state.js';

/** How long a supervisor gets to stop its ssh and clean up. */
const STOP_TIMEOUT_MS = 5_000;

export const disconnect: CommandSpec = {
  name: 'disconnect',
  aliases: ['dc'],
  summary: 'tear down the ssh tunnel of a connection (remote sessions keep running)',
  details: `
Stops the tunnel's supervisor and its ssh; the remote server and its sessions keep
running, and gritty attach NAME:SESSION connects again.

Examples:
  gritty disconnect devbox`,
  args: [{ name: 'name', required: true, description: 'the connection name (see gritty tunnels)' }],
  async run(ctx, args) {
    const name = checkConnectionName(args[0]!);
    const state = readTunnelState(ctx.paths.socketDir, name);
    if (state === undefined) throw new GrittyError('bad-target', `no connection named ${name}; gritty tunnels lists them`);
    if (effectiveStatus(state) !== 'stale') {
      process.kill(state.pid, 'SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (processAlive(state.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      if (processAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
    }
    // the tunnel's ssh leads its own process group (with its ProxyCommand, if any)
    if (state.sshPid !== undefined && processAlive(state.sshPid)) process.kill(-state.sshPid, 'SIGTERM');
    removeTunnelFiles(ctx.paths.socketDir, name);
    process.stdout.write(`disconnected ${name}\n`);
    return 0;
  },
};
