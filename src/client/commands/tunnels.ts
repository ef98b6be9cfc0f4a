import { printable } from '../../relay/printable.js';
import type { CommandSpec } from '../context.js';
import { jsonForTerminal } from '../json-output.js';
import { formatColumns, shortTime } from '../table.js';
import { effectiveStatus, readTunnelState, tunnelNames, type TunnelState } from '../tunnel-state.js';

export const tunnels: CommandSpec = {
  name: 'tunnels',
  aliases: ['tun'],
  summary: 'list ssh tunnels and their health',
  details: `
healthy: ssh forwards the remote server's socket. reconnecting: ssh died and is being
respawned. stale: the supervisor is gone; run gritty disconnect NAME, then
gritty connect DESTINATION.

Examples:
  gritty tunnels
  gritty tunnels --json | jq -r '.[] | select(.status == "stale") | .name'`,
  options: [{ flags: '--json', description: 'print JSON (see the README)' }],
  async run(ctx, _args, options) {
    const states = tunnelNames(ctx.paths.socketDir)
      .map((name) => readTunnelState(ctx.paths.socketDir, name))
      .filter((s): s is TunnelState => s !== undefined);
    const rows = states.map((s) => ({ name: s.name, destination: s.destination, pid: s.pid, sshPid: s.sshPid, status: effectiveStatus(s), since: new Date(s.since).toISOString(), message: s.message }));
    if (options.json === true) {
      process.stdout.write(`${jsonForTerminal(rows)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      process.stdout.write('no tunnels; gritty connect DESTINATION starts one (gritty new HOST:NAME does too)\n');
      return 0;
    }
    const now = Date.now();
    // the state files are ours, but a message is ssh's last words, which the remote side shapes
    process.stdout.write(formatColumns([['NAME', 'DESTINATION', 'PID', 'STATUS', 'SINCE'], ...states.map((s) => [s.name, s.destination, String(s.pid), effectiveStatus(s), shortTime(s.since, now)].map(printable))]));
    for (const r of rows) if (r.status !== 'healthy' && r.message !== undefined) process.stdout.write(`${printable(r.name)}: ${printable(r.message)}\n`);
    return 0;
  },
};
