import { PROTOCOL_VERSION } from '../../relay/messages.js';
import { socketAlive } from '../../relay/secure-socket.js';
import type { CommandSpec } from '../context.js';
import { ensureLocalServer } from '../server-start.js';

export const server: CommandSpec = {
  name: 'server',
  aliases: ['s'],
  summary: 'start the server for this machine (usually started for you by new)',
  details: `
Without -f the server starts in the background and this command returns once it
listens. Its log is daemon.log in the state directory (see gritty info).
--json prints {"socket", "protocol", "running"}: what gritty connect asks a remote host.

Examples:
  gritty server                     start it in the background
  gritty -v server -f               in the foreground, with debug lines in daemon.log`,
  options: [
    { flags: '-f, --foreground', description: 'run in the foreground until killed or kill-server' },
    { flags: '--json', description: 'print the socket path and protocol version as JSON' },
    { flags: '--no-start', description: 'with --json: only report, do not start a server' },
  ],
  async run(ctx, _args, options) {
    if (options.foreground === true) {
      return ctx.runServer({ ctlSocket: ctx.paths.ctlSocket, stateDir: ctx.paths.stateDir, verbose: ctx.verbose });
    }
    const socket = ctx.paths.ctlSocket;
    const started = options.start === false ? false : await ensureLocalServer(ctx, { wait: false });
    if (options.json === true) {
      const running = started || (await socketAlive(socket));
      process.stdout.write(`${JSON.stringify({ socket, protocol: PROTOCOL_VERSION, running })}\n`);
      return 0;
    }
    process.stdout.write(started ? `gritty server started on ${socket}\n` : `a gritty server is already running on ${socket}\n`);
    return 0;
  },
};
