import { createInterface } from 'node:readline';
import { LF_LISTEN } from '../../forward/port/lf.js';
import { parseForwardSpec } from '../../forward/port/spec.js';
import { printable } from '../../relay/printable.js';
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
    // the session's daemon listens and carries the connections; this process holds the
    // forward open (its end, however it comes, closes the listener) and shows refusals
    const stopped = untilStopped().then(() => 'stopped' as const);
    const held = await openServiceChannel(serviceSocket('local-forward'), ctx.anonymous, LF_LISTEN, { listen: spec.listen, target: spec.target });
    held.on('error', () => {});
    createInterface({ input: held }).on('line', (line) => process.stderr.write(`gritty lf: ${printable(line)}\n`));
    process.stderr.write(`gritty lf: 127.0.0.1:${spec.listen} here -> the laptop's 127.0.0.1:${spec.target}; Ctrl-C stops\n`);
    const outcome = await Promise.race([stopped, new Promise<'ended'>((resolve) => held.once('close', () => resolve('ended')))]);
    held.destroy();
    if (outcome === 'stopped') return 0;
    process.stderr.write('gritty lf: the session ended the forward (its daemon stopped or the session ended)\n');
    return 1;
  },
};
