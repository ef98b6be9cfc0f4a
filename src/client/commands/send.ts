import { basename } from 'node:path';
import { createProgress } from '../../forward/transfer/progress.js';
import { runSender } from '../../forward/transfer/sender.js';
import { GrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import type { CommandSpec } from '../context.js';
import { PAIRING_DETAILS, PAIRING_OPTIONS, runPairedTransfer } from '../transfer-command.js';
import { MAX_ABOUT_CHARS } from '../transfer-room.js';

export const send: CommandSpec = {
  name: 'send',
  summary: 'send files to gritty receive on the other side of a session (laptop <-> session)',
  details: `${PAIRING_DETAILS}

Examples:
  gritty send report.pdf               then gritty receive on the laptop
  gritty send -r build/ notes.txt      trees keep their shape; symlinks are skipped
  tar c dir | gritty send --stdin      and gritty receive --stdout | tar x`,
  args: [{ name: 'files', required: false, variadic: true, description: 'files (and with -r, directories) to send' }],
  options: [
    { flags: '-r, --recursive', description: 'send directories as trees (never following a symlink)' },
    { flags: '--stdin', description: 'send what comes on stdin, as one stream' },
    ...PAIRING_OPTIONS,
  ],
  async run(ctx, args, options) {
    const stdin = options.stdin === true;
    if (stdin && args.length > 0) throw new GrittyError('bad-usage', 'gritty send takes files or --stdin, not both');
    if (!stdin && args.length === 0) throw new GrittyError('bad-usage', 'gritty send needs files to send, or --stdin to send what comes on stdin');
    const about = stdin ? '(pipe)' : args.length === 1 ? printable(basename(args[0]!)) : `${args.length} items`;
    return runPairedTransfer(ctx, options, { role: 'send', about: about.slice(0, MAX_ABOUT_CHARS) }, (stream) => {
      // a pipe that is quiet would keep the sender waiting on it after the other side went away
      if (stdin) stream.once('close', () => process.stdin.destroy(new GrittyError('connection-lost', 'the transfer stream closed')));
      return runSender({
        stream,
        source: stdin ? { kind: 'stdin', input: process.stdin } : { kind: 'paths', paths: args, recursive: options.recursive === true },
        events: createProgress({ output: process.stderr, verb: 'sent' }),
      });
    });
  },
};
