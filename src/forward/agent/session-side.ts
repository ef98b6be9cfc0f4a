import type { Server, Socket } from 'node:net';
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

/**
 * The session's SSH_AUTH_SOCK. Each connection becomes an `agent` channel to whichever
 * laptop is attached now, so the path stays valid across reconnects and takeovers.
 * When the channel is refused the connection is closed at once: ssh and ssh-add then
 * report a failed agent and go on, instead of waiting on a socket nobody answers.
 * The caller owns the returned server and closes it with the session.
 */
export function listenAgentSocket(options: AgentSocketOptions): Promise<Server> {
  return listenPrivate(options.path, (socket: Socket) => {
    socket.pause();
    socket.on('error', () => {}); // a client that hangs up early is not our error
    options.open('agent', {}).then(
      (channel) => void splice(socket, channel),
      (err: unknown) => {
        socket.destroy();
        options.onRefused?.(err instanceof Error ? err.message : String(err));
      },
    );
  });
}
