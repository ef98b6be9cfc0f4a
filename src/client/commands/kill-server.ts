import { isGrittyError } from '../../relay/errors.js';
import { LOCAL_HOST, checkHostName } from '../../relay/names.js';
import type { CommandSpec } from '../context.js';
import { request } from '../daemon-client.js';
import { openHost } from '../endpoint.js';

export const killServer: CommandSpec = {
  name: 'kill-server',
  summary: 'stop a server and every session in it (works across protocol versions)',
  details: `
Succeeds quietly when no server runs on this machine.

Examples:
  gritty kill-server                stop this machine's server
  gritty kill-server devbox         stop the server on devbox, through its tunnel`,
  args: [{ name: 'host', required: false, description: 'a connection name (default: local)' }],
  async run(ctx, args) {
    const host = checkHostName(args[0] ?? LOCAL_HOST);
    try {
      await request(await openHost(ctx, host, { autostart: false, wait: false, allowMismatch: true }), { type: 'kill-server' }, 'ok');
    } catch (err) {
      // nothing to stop is what was asked for
      if (host === LOCAL_HOST && isGrittyError(err, 'no-server')) return 0;
      throw err;
    }
    return 0;
  },
};
