import { GrittyError } from '../../relay/errors.js';
import type { CommandSpec } from '../context.js';
import { request } from '../daemon-client.js';
import { openHost } from '../endpoint.js';
import { parseTarget } from '../target.js';

export const killSession: CommandSpec = {
  name: 'kill-session',
  summary: 'end a session: its shell gets SIGHUP (SIGKILL after 3 s)',
  details: `
Examples:
  gritty kill-session local:build
  gritty kill-session devbox:0`,
  args: [{ name: 'target', required: true, description: 'host:session' }],
  async run(ctx, args) {
    const target = parseTarget(args[0]!);
    if (target.session === undefined) throw new GrittyError('bad-target', `name the session: gritty kill-session ${target.host}:NAME`);
    await request(await openHost(ctx, target.host, { autostart: false, wait: false }), { type: 'kill-session', target: target.session }, 'ok');
    return 0;
  },
};
