import { LOCAL_HOST } from '../../relay/names.js';
import type { CommandSpec } from '../context.js';
import { openHost } from '../endpoint.js';
import { sessionSpec } from '../session-spec.js';
import { isGrittyError } from '../../relay/errors.js';
import { nameTakenError, parseTarget } from '../target.js';
import { request } from '../daemon-client.js';
import { printable } from '../../relay/printable.js';
import { SESSION_OPTIONS, requireTerminal, runAttached } from './attach-common.js';

export const newSession: CommandSpec = {
  name: 'new-session',
  aliases: ['new'],
  summary: 'create a session and attach to it',
  details: `
Starts the host's server when none runs. Without a session name the session gets
the smallest free number.

Examples:
  gritty new local:scratch          a session on this machine, attached
  gritty new local                  the next free number
  gritty new -d -c 'make test' local:build
                                    run a command in the background`,
  args: [{ name: 'target', required: false, description: 'host:name, or host alone (default: local)' }],
  options: [
    { flags: '-d, --detach', description: 'create the session without attaching' },
    { flags: '-c, --command <cmd>', description: 'run CMD (through $SHELL -c) instead of a login shell' },
    { flags: '-w, --wait', description: 'wait indefinitely for the server instead of failing after 10 s' },
    ...SESSION_OPTIONS,
  ],
  async run(ctx, args, options) {
    const target = parseTarget(args[0] ?? LOCAL_HOST);
    const detach = options.detach === true;
    const terminal = detach ? undefined : requireTerminal('new');
    const spec = sessionSpec({ host: target.host, name: target.session, command: options.command as string | undefined, terminal, ringBytes: ctx.settings(target.host).ringBufferBytes });
    const link = await openHost(ctx, target.host, { autostart: true, wait: options.wait === true });
    if (detach) {
      const created = await request(link, { type: 'new', spec, attach: false }, 'created').catch((err: unknown) => {
        throw isGrittyError(err, 'name-taken') && spec.name !== undefined ? nameTakenError(target.host, spec.name, err) : err;
      });
      process.stdout.write(`${printable(`${target.host}:${created.session.name}`)}\n`);
      return 0;
    }
    link.conn.close();
    return runAttached(ctx, options, target.host, { kind: 'new', spec }, terminal!);
  },
};
