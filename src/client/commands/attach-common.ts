import { GrittyError } from '../../relay/errors.js';
import { MAX_SESSION_ID_CHARS } from '../../relay/messages.js';
import { ensurePrivateDir } from '../../relay/secure-socket.js';
import { AttachClient, type AttachOptions } from '../attach.js';
import { AttachedSocket } from '../attached-socket.js';
import { TransferRoom } from '../transfer-room.js';
import { laptopForwarding } from '../../forward/laptop.js';
import type { CliOverrides } from '../config.js';
import type { CliContext, Options } from '../context.js';
import { nudgeTunnel, reopenHost } from '../endpoint.js';
import { LocalTerminal } from '../terminal.js';
import { isatty, type WriteStream } from 'node:tty';

export const SESSION_OPTIONS = [
  { flags: '--no-escape', description: 'pass ~ through untouched: no escape sequences' },
  { flags: '--no-redraw', description: 'on attach, do not repaint the current screen; show only new output' },
  { flags: '-A, --forward-agent', description: "let the session use this machine's ssh-agent (the default)" },
  { flags: '--no-forward-agent', description: "do not forward this machine's ssh-agent" },
  { flags: '-O, --forward-open', description: 'open URLs the session opens in the browser here (the default)' },
  { flags: '--no-forward-open', description: 'do not open URLs from the session here' },
  { flags: '--no-oauth-redirect', description: 'do not tunnel OAuth callbacks (redirect_uri=localhost:PORT) back to the session' },
  { flags: '--oauth-timeout <seconds>', description: 'how long an OAuth callback listener waits (default 180)' },
  { flags: '--no-forward-ports', description: 'refuse gritty lf/rf from the session' },
];

/** The command line's session flags as config overrides: only what was given. */
function sessionOverrides(options: Options): CliOverrides {
  const overrides: CliOverrides = {};
  if (options.escape === false) overrides['no-escape'] = true;
  if (options.redraw === false) overrides['no-redraw'] = true;
  if (typeof options.forwardAgent === 'boolean') overrides['forward-agent'] = options.forwardAgent;
  if (typeof options.forwardOpen === 'boolean') overrides['forward-open'] = options.forwardOpen;
  if (options.oauthRedirect === false) overrides['oauth-redirect'] = false;
  if (options.forwardPorts === false) overrides['forward-ports'] = false;
  if (options.oauthTimeout !== undefined) {
    const seconds = Number(options.oauthTimeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new GrittyError('bad-usage', `--oauth-timeout takes a number of seconds, not ${JSON.stringify(options.oauthTimeout)}`);
    overrides['oauth-timeout'] = seconds;
  }
  return overrides;
}

export function requireTerminal(command: string): LocalTerminal {
  // process.stdin is left alone: the terminal reads fd 0 through its own stream (terminal.ts)
  if (!isatty(0) || !process.stdout.isTTY) {
    throw new GrittyError('not-a-terminal', `gritty ${command} needs a terminal; use gritty tail to read a session from a pipe, or gritty new -d to start one in the background`);
  }
  return new LocalTerminal(0, process.stdout as WriteStream & { fd: 1 });
}

/** The session this process runs inside, as the daemon set it (GRITTY_SESSION); a value too long to be one is ignored. */
function enclosingSession(): string | undefined {
  const id = process.env.GRITTY_SESSION;
  return id !== undefined && id !== '' && id.length <= MAX_SESSION_ID_CHARS ? id : undefined;
}

/** The socket `gritty send`/`receive` on this machine find this client by; without it attaching still works. */
async function openAttachedSocket(ctx: CliContext, host: string, room: TransferRoom, notice: (text: string) => void): Promise<AttachedSocket | undefined> {
  const log = (line: string): void => ctx.log.info(line);
  try {
    ensurePrivateDir(ctx.paths.socketDir);
    return await AttachedSocket.open({ socketDir: ctx.paths.socketDir, host, room, notice, log });
  } catch (err) {
    ctx.log.warn(`gritty send/receive on this machine cannot reach this client: ${(err as Error).message}`);
    return undefined;
  }
}

/** Runs the attach loop and prints how it ended. */
export async function runAttached(
  ctx: CliContext,
  options: Options,
  host: string,
  first: AttachOptions['first'],
  terminal: LocalTerminal,
): Promise<number> {
  // a flag given on the command line wins over the config; absent, the config decides
  const settings = ctx.settings(host, sessionOverrides(options));
  // from here the terminal is raw: only the status line may appear on it
  ctx.log.quiet();
  const room = new TransferRoom();
  const forwarding = laptopForwarding({
    switches: {
      'forward-agent': settings.forwardAgent,
      'forward-open': settings.forwardOpen,
      'oauth-redirect': settings.oauthRedirect,
      'forward-ports': settings.forwardPorts,
    },
    agentSocket: process.env.SSH_AUTH_SOCK,
    openCommand: settings.openCommand,
    oauth: { flowMs: settings.oauthTimeoutMs, idleMs: settings.oauthTunnelIdleTimeoutMs },
    open: (kind, params) => client.openChannel(kind, params),
    log: (line) => ctx.log.info(line),
    transfer: room.accept,
  });
  const helpers = await openAttachedSocket(ctx, host, room, (text) => client.notice(text));
  const client: AttachClient = new AttachClient({
    first,
    host,
    terminal,
    connect: () => reopenHost(ctx, host),
    onLinkDown: () => nudgeTunnel(ctx, host),
    escapes: !settings.noEscape,
    repaint: !settings.noRedraw,
    heartbeat: { intervalMs: settings.heartbeatIntervalMs, timeoutMs: settings.heartbeatTimeoutMs },
    acceptor: forwarding.accept,
    from: enclosingSession(),
    onAttached: (session) => helpers?.describe(session),
  });
  const ending = await client.run();
  helpers?.close(`the gritty client attached to ${host} ended`);
  room.close(`the gritty client attached to ${host} ended`);
  await forwarding.close();
  // bracketed lines are reports ([detached …], [session … exited]); anything else is an error
  if (ending.message !== undefined) process.stderr.write(ending.message.startsWith('[') ? `\r\n${ending.message}\n` : `\r\ngritty: ${ending.message}\n`);
  return ending.code;
}
