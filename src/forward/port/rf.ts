import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isGrittyError } from '../../relay/errors.js';
import { closeServer, connectLoopback, listenLoopback } from '../loopback.js';
import { port, readParams, refuse, type Port } from '../params.js';
import type { ChannelAcceptor, OpenChannel } from '../seam.js';
import { splice } from '../splice.js';
import type { ForwardSpec } from './spec.js';

/**
 * The targets of the remote forwards active in one session. The session host connects
 * an `rf-conn` channel only to a port some `gritty rf` in this session asked for.
 */
export class RemoteForwardTargets {
  private readonly counts = new Map<Port, number>();

  add(target: Port): () => void {
    this.counts.set(target, (this.counts.get(target) ?? 0) + 1);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const left = (this.counts.get(target) ?? 1) - 1;
      if (left === 0) this.counts.delete(target);
      else this.counts.set(target, left);
    };
  }

  has(target: Port): boolean {
    return this.counts.has(target);
  }
}

export interface RemoteForward {
  /** Resolves when the forward ends, by close() or because the laptop went away. */
  closed: Promise<void>;
  close(): void;
}

/**
 * The session half of `gritty rf`: asks the laptop to listen on its 127.0.0.1:LISTEN
 * for as long as the returned forward lives. Rejects with the laptop's reason (port
 * busy, forwarding off, no client attached).
 */
export async function startRemoteForward(options: { spec: ForwardSpec; open: OpenChannel; targets: RemoteForwardTargets }): Promise<RemoteForward> {
  const { spec } = options;
  const remove = options.targets.add(spec.target);
  let channel: Duplex;
  try {
    channel = await options.open('rf-listen', { listen: spec.listen, target: spec.target });
  } catch (err) {
    remove();
    throw err;
  }
  const closed = untilOver(channel).then(remove);
  return { closed, close: () => void channel.end() };
}

/**
 * The laptop half of `rf-listen`: listens on the laptop's 127.0.0.1:LISTEN while the
 * channel is open, and opens an `rf-conn` channel for each connection. `track` lets the
 * owner close every listener when the laptop detaches.
 */
export function rfListenAcceptor(open: OpenChannel, track: (close: () => Promise<void>) => () => void): ChannelAcceptor {
  return async (params) => {
    const { listen, target } = readParams(params, { listen: port(), target: port() });
    const sockets = new Set<Socket>();
    const server: Server = await listenLoopback('127.0.0.1', listen, 'the laptop', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      open('rf-conn', { target }).then(
        (channel) => void splice(socket, channel),
        () => socket.destroy(),
      );
    }).catch((err: unknown) => {
      throw isGrittyError(err, 'port-busy') ? refuse(err.message, err) : err;
    });
    const stop = async (): Promise<void> => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    };
    const untrack = track(stop);
    return (channel) => {
      void untilOver(channel).then(() => {
        untrack();
        return stop();
      });
    };
  };
}

/** The session half of `rf-conn`: connects to 127.0.0.1:TARGET here, only for a target an active `gritty rf` named. */
export function rfConnAcceptor(targets: RemoteForwardTargets): ChannelAcceptor {
  return async (params) => {
    const { target } = readParams(params, { target: port() });
    if (!targets.has(target)) throw refuse(`no gritty rf to port ${target} is running in this session`);
    const socket = await connectLoopback('127.0.0.1', target).catch((err: Error) => {
      throw refuse(`nothing accepts connections on the session host's 127.0.0.1:${target} (${err.message}); start the server there first`, err);
    });
    return (channel) => void splice(socket, channel);
  };
}

/**
 * An rf-listen channel carries no data: it lives as long as the forward. Either end
 * ending it (EOF) or closing it ends the forward; the other end answers EOF with EOF.
 */
function untilOver(channel: Duplex): Promise<void> {
  channel.on('error', () => {});
  channel.once('end', () => channel.end());
  channel.resume();
  return new Promise((resolve) => {
    channel.once('end', resolve);
    channel.once('close', resolve);
  });
}
