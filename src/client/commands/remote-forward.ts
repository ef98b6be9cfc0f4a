import { RemoteForwardTargets, startRemoteForward } from '../../forward/port/rf.js';
import { parseForwardSpec } from '../../forward/port/spec.js';
import type { CommandSpec } from '../context.js';
import { openServiceChannel, serviceSocket } from '../service-client.js';
import { untilStopped } from '../stop-signal.js';

/** How often a forward whose laptop went away asks again, until one is attached. */
const RETRY_MS = 1_000;

export const remoteForward: CommandSpec = {
  name: 'remote-forward',
  aliases: ['rf'],
  summary: 'reach a port of this host from the laptop: the laptop listens, connects here',
  details: `
Run inside a gritty session. The attached laptop listens on its 127.0.0.1:LISTEN;
each connection there is carried through the session to this host's
127.0.0.1:TARGET (a dev server in the session, in the laptop's browser). Until
Ctrl-C. When a client reattaches or takes over, the laptop listens again.

Examples:
  gritty rf 3000            this host's port 3000 at http://127.0.0.1:3000 on the laptop
  gritty rf 8080:3000       the same, on the laptop's port 8080`,
  args: [{ name: 'spec', required: true, description: 'PORT or LISTEN:TARGET' }],
  async run(ctx, args) {
    const spec = parseForwardSpec(args[0]!);
    const path = serviceSocket('remote-forward');
    const stopped = untilStopped().then(() => 'stopped' as const);
    const start = (): ReturnType<typeof startRemoteForward> =>
      startRemoteForward({
        spec,
        open: (kind, params) => openServiceChannel(path, ctx.anonymous, kind, params),
        targets: new RemoteForwardTargets(),
        onRefused: (reason) => process.stderr.write(`gritty rf: a connection was not forwarded: ${reason}\n`),
      });
    // the first refusal (port busy, forwarding off, nobody attached) is the answer
    let forward = await start();
    for (;;) {
      process.stderr.write(`gritty rf: the laptop's 127.0.0.1:${spec.listen} -> 127.0.0.1:${spec.target} here; Ctrl-C stops\n`);
      const outcome = await Promise.race([forward.closed.then(() => 'closed' as const), stopped]);
      if (outcome === 'stopped') {
        forward.close();
        return 0;
      }
      process.stderr.write('gritty rf: the laptop went away; listening again when a client attaches\n');
      for (;;) {
        const waited = await Promise.race([new Promise((resolve) => setTimeout(() => resolve('retry'), RETRY_MS)), stopped]);
        if (waited === 'stopped') return 0;
        const next = await start().catch(() => undefined);
        if (next !== undefined) {
          forward = next;
          break;
        }
      }
    }
  },
};
