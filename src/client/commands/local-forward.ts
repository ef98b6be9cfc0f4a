import { startLocalForward } from '../../forward/port/lf.js';
import { parseForwardSpec } from '../../forward/port/spec.js';
import type { CommandSpec } from '../context.js';
import { openServiceChannel, serviceSocket } from '../service-client.js';
import { untilStopped } from '../stop-signal.js';

export const localForward: CommandSpec = {
  name: 'local-forward',
  aliases: ['lf'],
  summary: "reach a port of the laptop from inside the session: listen here, connect there",
  details: `
Run inside a gritty session. Listens on this host's 127.0.0.1:LISTEN; each
connection is carried through the session to the attached laptop's
127.0.0.1:TARGET (a database or API on your laptop, reachable from the session).
Until Ctrl-C. Connections survive a reconnect of the laptop; a takeover or detach
ends them. The laptop can refuse forwards (--no-forward-ports, forward-ports = false).

Examples:
  gritty lf 5432            the laptop's PostgreSQL on this host's 127.0.0.1:5432
  gritty lf 15432:5432      the same, on this host's port 15432`,
  args: [{ name: 'spec', required: true, description: 'PORT or LISTEN:TARGET' }],
  async run(ctx, args) {
    const spec = parseForwardSpec(args[0]!);
    const path = serviceSocket('local-forward');
    const forward = await startLocalForward({
      spec,
      open: (kind, params) => openServiceChannel(path, ctx.anonymous, kind, params),
      onRefused: (reason) => process.stderr.write(`gritty lf: a connection was not forwarded: ${reason}\n`),
    });
    process.stderr.write(`gritty lf: 127.0.0.1:${spec.listen} here -> the laptop's 127.0.0.1:${spec.target}; Ctrl-C stops\n`);
    await untilStopped();
    await forward.close();
    return 0;
  },
};
