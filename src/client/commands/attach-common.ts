import { GrittyError } from '../../relay/errors.js';
import { MAX_SESSION_ID_CHARS } from '../../relay/messages.js';
import { AttachClient, type AttachOptions } from '../attach.js';
import type { CliContext, Options } from '../context.js';
import { nudgeTunnel, reopenHost } from '../endpoint.js';
import { LocalTerminal } from '../terminal.js';
import type { ReadStream, WriteStream } from 'node:tty';

export const SESSION_OPTIONS = [
  { flags: '--no-escape', description: 'pass ~ through untouched: no escape sequences' },
  { flags: '--no-redraw', description: 'on attach, do not repaint the current screen; show only new output' },
];

export function requireTerminal(command: string): LocalTerminal {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new GrittyError('not-a-terminal', `gritty ${command} needs a terminal; use gritty tail to read a session from a pipe, or gritty new -d to start one in the background`);
  }
  return new LocalTerminal(process.stdin as ReadStream, process.stdout as WriteStream);
}

/** The session this process runs inside, as the daemon set it (GRITTY_SESSION); a value too long to be one is ignored. */
function enclosingSession(): string | undefined {
  const id = process.env.GRITTY_SESSION;
  return id !== undefined && id !== '' && id.length <= MAX_SESSION_ID_CHARS ? id : undefined;
}

/** Runs the attach loop and prints how it ended. */
export async function runAttached(
  ctx: CliContext,
  options: Options,
  host: string,
  first: AttachOptions['first'],
  terminal: LocalTerminal,
): Promise<number> {
  // a --no-X flag given on the command line wins over the config; absent, the config decides
  const settings = ctx.settings(host, {
    ...(options.escape === false ? { 'no-escape': true } : {}),
    ...(options.redraw === false ? { 'no-redraw': true } : {}),
  });
  // from here the terminal is raw: only the status line may appear on it
  ctx.log.quiet();
  const client = new AttachClient({
    first,
    host,
    terminal,
    connect: () => reopenHost(ctx, host),
    onLinkDown: () => nudgeTunnel(ctx, host),
    escapes: !settings.noEscape,
    repaint: !settings.noRedraw,
    heartbeat: { intervalMs: settings.heartbeatIntervalMs, timeoutMs: settings.heartbeatTimeoutMs },
    acceptor: (kind) => Promise.reject(new GrittyError('channel-refused', `this client accepts no ${kind} channels`)),
    from: enclosingSession(),
  });
  const ending = await client.run();
  // bracketed lines are reports ([detached …], [session … exited]); anything else is an error
  if (ending.message !== undefined) process.stderr.write(ending.message.startsWith('[') ? `\r\n${ending.message}\n` : `\r\ngritty: ${ending.message}\n`);
  return ending.code;
}
