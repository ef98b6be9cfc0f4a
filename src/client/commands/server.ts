import type { CommandSpec } from '../context.js';
import { ensureLocalServer } from '../server-start.js';

export const server: CommandSpec = {
  name: 'server',
  aliases: ['s'],
  summary: 'start the server for this machine (usually started for you by new)',
  details: `
Without -f the server starts in the background and this command returns once it
listens. Its log is daemon.log in the state directory (see gritty info).`,
  options: [{ flags: '-f, --foreground', description: 'run in the foreground until killed or kill-server' }],
  async run(ctx, _args, options) {
    if (options.foreground === true) {
      return ctx.runServer({ ctlSocket: ctx.paths.ctlSocket, stateDir: ctx.paths.stateDir, verbose: ctx.verbose });
    }
    const started = await ensureLocalServer(ctx, { wait: false });
    process.stdout.write(started ? `gritty server started on ${ctx.paths.ctlSocket}\n` : `a gritty server is already running on ${ctx.paths.ctlSocket}\n`);
    return 0;
  },
};
