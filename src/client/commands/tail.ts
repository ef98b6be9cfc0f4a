import { GrittyError } from '../../relay/errors.js';
import { LAST_SESSION } from '../../relay/names.js';
import type { CommandSpec } from '../context.js';
import { openHost } from '../endpoint.js';
import { parseTarget } from '../target.js';
import { CLEAR_FOR_REPAINT } from '../terminal.js';

export const tail: CommandSpec = {
  name: 'tail',
  aliases: ['t'],
  summary: "read-only stream of a session's output (works in a pipe)",
  details: `
On a terminal it first paints the current screen; in a pipe it writes the raw output
from now on (with --history, everything the session still holds first). Ends when
the session exits; Ctrl-C stops it.

Examples:
  gritty tail local:build
  gritty tail --history local:build | grep -a error`,
  args: [{ name: 'target', required: true, description: 'host:session' }],
  options: [{ flags: '--history', description: 'start with all output the session still holds' }],
  async run(ctx, args, options) {
    const target = parseTarget(args[0]!);
    const link = await openHost(ctx, target.host, { autostart: false, wait: false });
    const tty = process.stdout.isTTY === true;
    const from = options.history === true ? 'history' : tty ? 'screen' : 'now';
    link.conn.send({ type: 'tail', target: target.session ?? LAST_SESSION, from });
    return new Promise<number>((resolve, reject) => {
      link.conn.setHandler((msg) => {
        switch (msg.type) {
          case 'attached':
            if (msg.lost > 0) process.stderr.write(`[gritty: the first ${msg.lost} bytes of output are no longer held]\n`);
            return;
          case 'output':
            // a pipe nobody reads (gritty tail x | less, paused): stop reading the daemon,
            // which then skips us ahead in its ring instead of anything piling up here
            if (!process.stdout.write(msg.data)) {
              link.conn.pause();
              process.stdout.once('drain', () => link.conn.resume());
            }
            return;
          case 'snapshot':
            if (msg.lost > 0) process.stderr.write(`[gritty: fell behind; ${msg.lost} bytes skipped]\n`);
            if (tty) process.stdout.write(CLEAR_FOR_REPAINT + msg.data.toString('utf8'));
            return;
          case 'exit':
            process.stderr.write(`[session exited with status ${msg.code}]\n`);
            resolve(0);
            return;
          case 'detached':
            resolve(0);
            return;
          case 'error':
            reject(new GrittyError(msg.code as GrittyError['code'], msg.message));
            return;
          default:
            return;
        }
      });
      link.conn.onClose((reason) => (reason !== undefined ? reject(reason) : resolve(0)));
    });
  },
};
