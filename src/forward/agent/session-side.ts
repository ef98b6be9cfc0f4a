import type { Server, Socket } from 'node:net';
import { printable } from '../../relay/printable.js';
import { listenPrivate } from '../../relay/secure-socket.js';
import type { OpenChannel } from '../seam.js';
import { splice } from '../splice.js';

export interface AgentSocketOptions {
  /** The session's stable SSH_AUTH_SOCK, inside the daemon's private dir. */
  path: string;
  open: OpenChannel;
  /** Told why a connection was turned away (no client, forwarding off, no agent, rate limit). */
  onRefused?: (reason: string) => void;
}

/** How long a turned-away client may take to hang up after our EOF, before we cut it off. */
const TURN_AWAY_LINGER_MS = 1_000;

/**
 * The session's SSH_AUTH_SOCK. Each connection becomes an `agent` channel to whichever
 * laptop is attached now, so the path stays valid across reconnects and takeovers.
 * When the channel is refused the connection gets EOF at once: ssh and ssh-add then
 * report a failed agent and go on, instead of waiting on a socket nobody answers.
 * The caller owns the returned server and closes it with the session.
 */
export function listenAgentSocket(options: AgentSocketOptions): Promise<Server> {
  return listenPrivate(options.path, agentConnections(options));
}

/** What the session's agent socket does with each connection, for a caller that binds the socket itself. */
export function agentConnections(options: Omit<AgentSocketOptions, 'path'>): (socket: Socket) => void {
  return (socket: Socket) => {
    socket.pause();
    socket.on('error', () => {}); // a client that hangs up early is not our error
    options.open('agent', {}).then(
      (channel) => void splice(socket, channel),
      (err: unknown) => {
        turnAway(socket);
        options.onRefused?.(printable(err instanceof Error ? err.message : String(err)));
      },
    );
  };
}

/**
 * Sends EOF at once but reads (and drops) the client's request until it hangs up: a
 * plain close races the client's first write, and ssh-add dies of SIGPIPE, silently,
 * instead of saying the agent failed.
 */
function turnAway(socket: Socket): void {
  socket.end();
  socket.resume();
  const linger = setTimeout(() => socket.destroy(), TURN_AWAY_LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}
