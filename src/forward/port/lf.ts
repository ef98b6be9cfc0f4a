import type { Server, Socket } from 'node:net';
import { printable } from '../../relay/printable.js';
import { closeServer, connectLoopback, listenLoopback } from '../loopback.js';
import { port, readParams, refuse } from '../params.js';
import type { ChannelAcceptor, OpenChannel } from '../seam.js';
import { SocketReads } from '../../relay/socket-reads.js';
import { splice } from '../splice.js';
import type { ForwardSpec } from './spec.js';

/**
 * `gritty lf`'s request on the session's service socket: the daemon listens itself and
 * opens each connection's lf-conn channel, so forwarded bytes cross no helper process.
 * Not a channel kind: nothing of it reaches the laptop but the lf-conn channels.
 */
export const LF_LISTEN = 'lf-listen';

export interface LocalForward {
  close(): Promise<void>;
}

export interface LocalForwardOptions {
  spec: ForwardSpec;
  open: OpenChannel;
  /** Told why one connection could not be forwarded (the laptop refused, nothing listens there). */
  onRefused?: (reason: string) => void;
}

/**
 * The session half of `gritty lf`: listens on the session host's 127.0.0.1:LISTEN and
 * sends each connection as an `lf-conn` channel to the laptop's 127.0.0.1:TARGET.
 * Throws port-busy when LISTEN is taken. A refused connection is closed at once.
 */
export async function startLocalForward(options: LocalForwardOptions): Promise<LocalForward> {
  const sockets = new Set<Socket>();
  const server: Server = await listenLoopback('127.0.0.1', options.spec.listen, 'the session host', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    options.open('lf-conn', { target: options.spec.target }).then(
      (channel) => void splice(socket, channel),
      (err: unknown) => {
        socket.destroy();
        options.onRefused?.(printable(err instanceof Error ? err.message : String(err)));
      },
    );
  });
  return {
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}

/** The laptop half: each `lf-conn` channel connects to the laptop's 127.0.0.1:TARGET. */
export function lfConnAcceptor(): ChannelAcceptor {
  return async (params) => {
    const { target } = readParams(params, { target: port() });
    const reads = new SocketReads();
    const socket = await connectLoopback('127.0.0.1', target, reads.onread).catch((err: Error) => {
      throw refuse(`nothing accepts connections on the laptop's 127.0.0.1:${target} (${err.message})`, err);
    });
    return (channel) => void splice(socket, channel, reads);
  };
}
