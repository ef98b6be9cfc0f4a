import { GrittyError } from '../../relay/errors.js';
import type { CommandSpec } from '../context.js';
import { checkConnectionName } from '../connection-name.js';
import { isSameProcess } from '../../relay/process-identity.js';
import { readTunnelState, removeTunnelFiles, supervisorRunning } from '../tunnel-state.js';

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
    // only a process proven to be this tunnel's (pid, start time, command line) is signalled:
    // a pid from the state file may have been reused by any process of the user's since
    const running = supervisorRunning(state);
    if (running) {
      const supervisor = (): boolean => isSameProcess(state.pid, state.startTime);
      signal(state.pid, 'SIGTERM');
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (supervisor() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      if (supervisor()) signal(state.pid, 'SIGKILL');
    }
    // the tunnel's ssh leads its own process group (with its ProxyCommand, if any)
    if (state.sshPid !== undefined && isSameProcess(state.sshPid, state.sshStartTime)) signal(-state.sshPid, 'SIGTERM');
    removeTunnelFiles(ctx.paths.socketDir, name);
    process.stdout.write(running ? `disconnected ${name}\n` : `disconnected ${name}: the tunnel was stale (its supervisor had exited); removed what it left\n`);
    return 0;
  },
};

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // it exited between the check and the signal
  }
}
