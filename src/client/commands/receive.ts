import { createProgress } from '../../forward/transfer/progress.js';
import { runReceiver } from '../../forward/transfer/receiver.js';
import { GrittyError } from '../../relay/errors.js';
import type { CommandSpec } from '../context.js';
import { PAIRING_DETAILS, PAIRING_OPTIONS, runPairedTransfer } from '../transfer-command.js';

export const receive: CommandSpec = {
  name: 'receive',
  summary: 'receive what gritty send sends on the other side of a session (laptop <-> session)',
  details: `${PAIRING_DETAILS}

Files land in DIR (default: the current directory) under a temporary name and are
renamed once verified; names that would escape DIR are refused. With --stdout, or
when stdout is not a terminal and no DIR is given, one stream goes to stdout.

Examples:
  gritty receive                      into the current directory
  gritty receive ~/Downloads
  gritty receive --stdout | tar x     the other side ran tar c dir | gritty send --stdin`,
  args: [{ name: 'dir', required: false, description: 'where files land (default: .)' }],
  options: [{ flags: '--stdout', description: 'write the one stream or file to stdout' }, ...PAIRING_OPTIONS],
  async run(ctx, args, options) {
    const dir = args[0];
    if (options.stdout === true && dir !== undefined) throw new GrittyError('bad-usage', 'gritty receive takes a DIR or --stdout, not both');
    const toStdout = options.stdout === true || (dir === undefined && process.stdout.isTTY !== true);
    return runPairedTransfer(ctx, options, { role: 'receive', about: toStdout ? '(stdout)' : 'files' }, (stream, reads) =>
      runReceiver({
        stream,
        reads,
        target: toStdout ? { kind: 'stdout', output: process.stdout } : { kind: 'dir', dir: dir ?? '.' },
        events: createProgress({ output: process.stderr, verb: 'received' }),
      }),
    );
  },
};
