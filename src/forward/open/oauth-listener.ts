import type { Server, Socket } from 'node:net';
import { isGrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import { closeServer, listenLoopback } from '../loopback.js';
import type { Port } from '../params.js';
import type { OpenChannel } from '../seam.js';
import { splice } from '../splice.js';
import type { OAuthRedirect } from './url.js';

export interface OAuthTimeouts {
  /** How long a callback listener waits for the sign-in to come back (--oauth-timeout). */
  flowMs: number;
  /** How long a quiet callback connection, then a listener with none, is kept (oauth-tunnel-idle-timeout). */
  idleMs: number;
}

/** A person signing in takes minutes; three is what gh and gcloud allow too. */
export const OAUTH_TIMEOUT_MS = 180_000;
/** The callback is one request and perhaps a favicon; 5 s of quiet means the browser is done. */
export const OAUTH_IDLE_TIMEOUT_MS = 5_000;

interface Flow {
  servers: Server[];
  sockets: Set<Socket>;
  deadline: NodeJS.Timeout;
  idle: NodeJS.Timeout | undefined;
  /** Settles once the listeners are bound (or failed to be). */
  bound: Promise<void>;
}

/**
 * The laptop's OAuth callback listeners, one per port, made only for a redirect named
 * in a URL the laptop opened. Each connection to one is tunnelled to the same port on
 * the session host's loopback as an `oauth-callback` channel. A listener closes when
 * its flow times out, or once it has served and then stayed idle.
 */
export class OAuthListeners {
  private readonly flows = new Map<Port, Flow>();

  constructor(
    private readonly open: OpenChannel,
    private readonly timeouts: OAuthTimeouts,
    /** Told when the session refuses a callback connection. */
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Listens for `redirect`; a port already listened on (or being bound) for another
   * flow is shared and its deadline renewed. Resolves true when it made a new
   * listener. Throws port-busy.
   */
  async listen(redirect: OAuthRedirect): Promise<boolean> {
    const existing = this.flows.get(redirect.port);
    if (existing !== undefined) {
      await existing.bound;
      existing.deadline.refresh();
      return false;
    }
    const flow: Flow = {
      servers: [],
      sockets: new Set(),
      deadline: setTimeout(() => void this.end(redirect.port), this.timeouts.flowMs),
      idle: undefined,
      bound: Promise.resolve(),
    };
    flow.deadline.unref();
    this.flows.set(redirect.port, flow);
    flow.bound = this.bind(redirect, flow);
    try {
      await flow.bound;
    } catch (err) {
      await this.end(redirect.port);
      throw err;
    }
    return true;
  }

  private async bind(redirect: OAuthRedirect, flow: Flow): Promise<void> {
    const where = "the laptop, for the sign-in's callback";
    const onConnection = (socket: Socket): void => this.tunnel(redirect.port, flow, socket);
    flow.servers.push(await listenLoopback(redirect.host === '::1' ? '::1' : '127.0.0.1', redirect.port, where, onConnection));
    if (redirect.host === 'localhost') {
      // browsers may try localhost over IPv6 first; a laptop without ::1 still gets IPv4
      await listenLoopback('::1', redirect.port, where, onConnection).then(
        (server) => void flow.servers.push(server),
        (err: unknown) => {
          if (!isGrittyError(err, 'port-busy')) throw err;
        },
      );
    }
    // closed while binding: nothing may stay listening for a flow that is over
    if (this.flows.get(redirect.port) !== flow) await Promise.all(flow.servers.map(closeServer));
  }

  /** Stops listening on `port`, as when the URL that named it could not be opened after all. */
  cancel(port: Port): Promise<void> {
    return this.end(port);
  }

  async close(): Promise<void> {
    await Promise.all([...this.flows.keys()].map((port) => this.end(port)));
  }

  private tunnel(port: Port, flow: Flow, socket: Socket): void {
    flow.sockets.add(socket);
    if (flow.idle !== undefined) clearTimeout(flow.idle);
    socket.on('error', () => {});
    socket.setTimeout(this.timeouts.idleMs, () => socket.destroy());
    socket.once('close', () => {
      flow.sockets.delete(socket);
      if (flow.sockets.size === 0 && this.flows.get(port) === flow) {
        flow.idle = setTimeout(() => void this.end(port), this.timeouts.idleMs);
        flow.idle.unref();
      }
    });
    this.open('oauth-callback', { port }).then(
      (channel) => void splice(socket, channel),
      (err: unknown) => {
        socket.destroy();
        this.log(`the session refused an OAuth callback to port ${port}: ${printable(String((err as Error).message))}`);
      },
    );
  }

  private async end(port: Port): Promise<void> {
    const flow = this.flows.get(port);
    if (flow === undefined) return;
    this.flows.delete(port);
    clearTimeout(flow.deadline);
    if (flow.idle !== undefined) clearTimeout(flow.idle);
    for (const socket of flow.sockets) socket.destroy();
    await Promise.all(flow.servers.map(closeServer));
  }
}
