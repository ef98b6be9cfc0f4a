import { GrittyError } from '../../relay/errors.js';
import type { CommandSpec } from '../context.js';
import { checkConnectionName, connectionName } from '../connection-name.js';
import { probeArgs, remoteServerScript, shellQuote, tunnelArgs } from '../ssh-command.js';
import { tunnelSocketPath } from '../tunnel-state.js';
import { ensureTunnel, runTunnelForeground, superviseHere, tunnelRequest } from '../tunnel-start.js';

export const connect: CommandSpec = {
  name: 'connect',
  aliases: ['c'],
  summary: 'set up the ssh tunnel to a remote host (new and attach do this for you)',
  details: `
Starts gritty's server on the destination over ssh (unless --no-server-start), then
keeps "ssh -N -L <local socket>:<remote socket>" running in the background, respawning
it when it dies. The connection is named after the destination's host unless -n.
ssh runs with BatchMode: make sure "ssh <destination>" works without prompting first.
The ssh program is ssh on PATH, or $GRITTY_SSH; the remote gritty is found on the
remote PATH and in the usual per-user bin dirs, or at $GRITTY_REMOTE_BIN.

Examples:
  gritty connect devbox
  gritty connect me@build.example.com -n build -o ProxyJump=bastion`,
  args: [{ name: 'destination', required: true, description: 'anything ssh accepts: host, user@host, an ssh_config alias' }],
  options: [
    { flags: '-n, --name <name>', description: 'connection name (default: the destination host name)' },
    { flags: '-o, --ssh-option <option>', description: 'extra ssh option, as in ssh -o (repeatable)', repeatable: true },
    { flags: '--no-server-start', description: 'do not start the remote server; it must be running' },
    { flags: '--dry-run', description: 'print the ssh commands instead of running them' },
    { flags: '-f, --foreground', description: 'run the tunnel supervisor in the foreground' },
    { flags: '--ignore-version-mismatch', description: 'connect even if the remote speaks another protocol version' },
    { flags: '--supervise <remote>', description: 'internal: run the supervisor for an already probed remote', hidden: true },
  ],
  async run(ctx, args, options) {
    const destination = args[0]!;
    if (destination.startsWith('-')) throw new GrittyError('bad-usage', `${destination} is not a destination; pass ssh options with -o`);
    const req = tunnelRequest(ctx, {
      name: typeof options.name === 'string' ? checkConnectionName(options.name) : connectionName(destination),
      destination,
      sshOptions: (options.sshOption as string[] | undefined) ?? [],
      noServerStart: options.serverStart === false,
      ignoreVersionMismatch: options.ignoreVersionMismatch === true,
      wait: false,
    });
    if (typeof options.supervise === 'string') {
      return superviseHere(ctx, req, JSON.parse(options.supervise) as { socket: string; protocol: number });
    }
    if (options.dryRun === true) {
      const probe = probeArgs(destination, req.sshOptions, remoteServerScript({ remoteBin: req.remoteBin, start: req.serverStart }));
      const tunnel = tunnelArgs({ destination, localSocket: tunnelSocketPath(ctx.paths.socketDir, req.name), remoteSocket: '<remote socket>', userOptions: req.sshOptions });
      process.stdout.write(`${[req.ssh, ...probe].map(shellQuote).join(' ')}\n${[req.ssh, ...tunnel].map(shellQuote).join(' ')}\n`);
      return 0;
    }
    if (options.foreground === true) return runTunnelForeground(ctx, req);
    const started = await ensureTunnel(ctx, req);
    process.stdout.write(started ? `connected to ${destination} as ${req.name}; use gritty new ${req.name}:NAME\n` : `already connected as ${req.name}\n`);
    return 0;
  },
};
