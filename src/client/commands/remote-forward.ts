import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { RF_LISTEN } from '../../forward/port/rf.js';
import { parseForwardSpec } from '../../forward/port/spec.js';
import { printable } from '../../relay/printable.js';
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
    // the session's daemon asks the laptop to listen and holds that while this process
    // holds the service; its lines are connections that could not reach TARGET
    const start = async (): Promise<Socket> => {
      const held = await openServiceChannel(path, ctx.anonymous, RF_LISTEN, { listen: spec.listen, target: spec.target });
      held.on('error', () => {});
      createInterface({ input: held }).on('line', (line) => process.stderr.write(`gritty rf: ${printable(line)}\n`));
      return held;
    };
    // the first refusal (port busy, forwarding off, nobody attached) is the answer
    let held = await start();
    for (;;) {
      process.stderr.write(`gritty rf: the laptop's 127.0.0.1:${spec.listen} -> 127.0.0.1:${spec.target} here; Ctrl-C stops\n`);
      const current = held;
      const outcome = await Promise.race([new Promise<'ended'>((resolve) => current.once('close', () => resolve('ended'))), stopped]);
      if (outcome === 'stopped') {
        held.destroy();
        return 0;
      }
      process.stderr.write('gritty rf: the laptop went away; listening again when a client attaches\n');
      for (;;) {
        const waited = await Promise.race([new Promise((resolve) => setTimeout(() => resolve('retry'), RETRY_MS)), stopped]);
        if (waited === 'stopped') return 0;
        const next = await start().catch(() => undefined);
        if (next !== undefined) {
          held = next;
          break;
        }
      }
    }
  },
};
