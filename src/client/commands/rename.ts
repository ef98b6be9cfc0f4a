import { GrittyError } from '../../relay/errors.js';
import { checkSessionName } from '../../relay/names.js';
import type { CommandSpec } from '../context.js';
import { request } from '../daemon-client.js';
import { openHost } from '../endpoint.js';
import { parseTarget } from '../target.js';

export const rename: CommandSpec = {
  name: 'rename',
  summary: 'rename a session',
  details: `
Examples:
  gritty rename local:0 build       session 0 is now local:build
  gritty rename devbox:- work       the last attached session on devbox`,
  args: [
    { name: 'target', required: true, description: 'host:session' },
    { name: 'name', required: true, description: 'the new name' },
  ],
  async run(ctx, args) {
    const target = parseTarget(args[0]!);
    if (target.session === undefined) throw new GrittyError('bad-target', `name the session: gritty rename ${target.host}:NAME NEWNAME`);
    const name = checkSessionName(args[1]!);
    await request(await openHost(ctx, target.host, { autostart: false, wait: false }), { type: 'rename', target: target.session, name }, 'ok');
    return 0;
  },
};
