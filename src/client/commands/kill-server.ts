import { LOCAL_HOST, checkHostName } from '../../relay/names.js';
import type { CommandSpec } from '../context.js';
import { request } from '../daemon-client.js';
import { openHost } from '../endpoint.js';

export const killServer: CommandSpec = {
  name: 'kill-server',
  summary: 'stop a server and every session in it (works across protocol versions)',
  args: [{ name: 'host', required: false, description: 'a connection name (default: local)' }],
  async run(ctx, args) {
    const host = checkHostName(args[0] ?? LOCAL_HOST);
    await request(await openHost(ctx, host, { autostart: false, wait: false, allowMismatch: true }), { type: 'kill-server' }, 'ok');
    return 0;
  },
};
