import { LAST_SESSION, LOCAL_HOST } from '../../relay/names.js';
import type { CommandSpec } from '../context.js';
import { openHost } from '../endpoint.js';
import { sessionSpec } from '../session-spec.js';
import { parseTarget } from '../target.js';
import { SESSION_OPTIONS, requireTerminal, runAttached } from './attach-common.js';

export const attach: CommandSpec = {
  name: 'attach',
  aliases: ['a'],
  summary: 'attach to a session, taking it over from any other client',
  details: `
A fresh attach paints the session's current screen (its recent output for a shell,
the whole screen for vim, htop or tmux) and then streams live output. A client
attached elsewhere is detached and told why.

Examples:
  gritty attach local:work          attach to session work on this machine
  gritty attach                     the session attached last (local:-)
  gritty attach -c local:work       create it when it does not exist`,
  args: [{ name: 'target', required: false, description: 'host:session; host alone or - means the last attached (default: local:-)' }],
  options: [
    { flags: '-c, --create', description: 'create the session when it does not exist' },
    { flags: '-w, --wait', description: 'wait indefinitely for the server' },
    ...SESSION_OPTIONS,
  ],
  async run(ctx, args, options) {
    const target = parseTarget(args[0] ?? `${LOCAL_HOST}:${LAST_SESSION}`);
    const session = target.session ?? LAST_SESSION;
    const terminal = requireTerminal('attach');
    const create = options.create === true ? sessionSpec({ host: target.host, name: undefined, command: undefined, terminal, ringBytes: ctx.settings(target.host).ringBufferBytes }) : undefined;
    if (target.host !== LOCAL_HOST || create !== undefined || options.wait === true) {
      const link = await openHost(ctx, target.host, { autostart: target.host !== LOCAL_HOST || create !== undefined, wait: options.wait === true });
      link.conn.close();
    }
    return runAttached(ctx, options, target.host, { kind: 'attach', target: session, create }, terminal);
  },
};
