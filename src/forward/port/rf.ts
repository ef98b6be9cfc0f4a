import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isGrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import { closeServer, connectLoopback, listenLoopback } from '../loopback.js';
import { port, readParams, refuse, type Port } from '../params.js';
import type { ChannelAcceptor, OpenChannel } from '../seam.js';
import { SocketReads } from '../../relay/socket-reads.js';
import { splice } from '../splice.js';
import type { ForwardSpec } from './spec.js';

/**
 * `gritty rf`'s request on the session's service socket: the daemon asks the laptop to
 * listen (an rf-listen channel) and holds that for as long as the helper stays.
 */
export const RF_LISTEN = 'rf-listen';

/**
 * The targets of the remote forwards active in one session. The session host connects
 * an `rf-conn` channel only to a port some `gritty rf` in this session asked for.
 */
export class RemoteForwardTargets {
  private readonly forwards = new Map<Port, Set<(reason: string) => void>>();

  /** Registers a forward to `target`; `onRefused` hears why a connection to it failed. Returns its removal. */
  add(target: Port, onRefused: (reason: string) => void = () => {}): () => void {
    const listeners = this.forwards.get(target) ?? new Set();
    this.forwards.set(target, listeners);
    const entry = (reason: string): void => onRefused(reason);
    listeners.add(entry);
    return () => {
      listeners.delete(entry);
      if (listeners.size === 0 && this.forwards.get(target) === listeners) this.forwards.delete(target);
    };
  }

  has(target: Port): boolean {
    return this.forwards.has(target);
  }

  refused(target: Port, reason: string): void {
    for (const onRefused of this.forwards.get(target) ?? []) onRefused(reason);
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
export async function startRemoteForward(options: {
  spec: ForwardSpec;
  open: OpenChannel;
  targets: RemoteForwardTargets;
  /** Told why a connection from the laptop could not reach TARGET (nothing listens there). */
  onRefused?: (reason: string) => void;
}): Promise<RemoteForward> {
  const { spec } = options;
  const remove = options.targets.add(spec.target, options.onRefused);
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
export function rfListenAcceptor(options: {
  open: OpenChannel;
  track: (close: () => Promise<void>) => () => void;
  /** Told when the session refuses a connection. */
  log: (line: string) => void;
}): ChannelAcceptor {
  const { open, track } = options;
  return async (params) => {
    const { listen, target } = readParams(params, { listen: port(), target: port() });
    const sockets = new Set<Socket>();
    const server: Server = await listenLoopback('127.0.0.1', listen, 'the laptop', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      open('rf-conn', { target }).then(
        (channel) => void splice(socket, channel),
        (err: unknown) => {
          socket.destroy();
          options.log(`the session refused a connection to its port ${target} (from the laptop's ${listen}): ${printable((err as Error).message)}`);
        },
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
    const reads = new SocketReads();
    const socket = await connectLoopback('127.0.0.1', target, reads.onread).catch((err: Error) => {
      const refusal = refuse(`nothing accepts connections on the session host's 127.0.0.1:${target} (${err.message}); start the server there first`, err);
      targets.refused(target, refusal.message);
      throw refusal;
    });
    return (channel) => void splice(socket, channel, reads);
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
