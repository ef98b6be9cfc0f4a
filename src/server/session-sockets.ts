import type { Duplex } from 'node:stream';
import { agentConnections } from '../forward/agent/session-side.js';
import { port, readParams } from '../forward/params.js';
import { LF_LISTEN, startLocalForward } from '../forward/port/lf.js';
import { RF_LISTEN, startRemoteForward, type RemoteForwardTargets } from '../forward/port/rf.js';
import type { ChannelParams } from '../relay/channel.js';
import type { Connection } from '../relay/connection.js';
import type { Logger } from '../relay/log.js';
import { GrittyError } from '../relay/errors.js';
import { serviceConnections, type HeldService, type StartService } from './service-socket.js';
import type { SocketKeeper } from './socket-keeper.js';

/**
 * Channel kinds a helper run inside the session may ask for through its service socket:
 * `gritty open` (open-url) and `gritty send`/`receive` (transfer). `gritty lf` and
 * `gritty rf` ask for services the daemon holds for them. The agent is served by the
 * session's own agent socket.
 */
const HELPER_KINDS: ReadonlySet<string> = new Set(['open-url', 'transfer']);

/** Listeners one session's helpers may hold in the daemon at once: each is a port and a few sockets. */
const MAX_LOCAL_FORWARDS = 64;

export interface SessionSocketsOptions {
  paths: { service: string; agent: string };
  /** Answers a helper's hello as the daemon would; refuses another protocol version. */
  handshake(conn: Connection): Promise<void>;
  /** Opens a channel to the session's attached client. */
  openChannel(kind: string, params: ChannelParams): Promise<Duplex>;
  /** The session's active `gritty rf` targets: rf-conn channels from the laptop may reach only these. */
  targets: RemoteForwardTargets;
  /** Binds the sockets and binds them again should their dir be deleted. */
  keeper: SocketKeeper;
  log: Logger;
}

/**
 * A session's own sockets: GRITTY_SOCK for helpers run inside it, and SSH_AUTH_SOCK,
 * whose every connection is an agent channel to whichever laptop is attached now.
 */
export async function openSessionSockets(options: SessionSocketsOptions): Promise<{ close(): void }> {
  const { targets, openChannel, log, keeper } = options;
  const onLost = (reason: string): void => log.warn(`a session socket is lost: ${reason}`);
  const localForwards = localForwardService(openChannel);
  const helpers = serviceConnections({
    handshake: options.handshake,
    openChannel,
    kinds: HELPER_KINDS,
    services: new Map([
      [LF_LISTEN, localForwards.start],
      [RF_LISTEN, remoteForwardService(openChannel, targets)],
    ]),
    log,
  });
  const agentClients = agentConnections({
    open: (kind, params) => openChannel(kind, params),
    onRefused: (reason) => log.debug(`an agent connection was turned away: ${reason}`),
  });
  const service = await keeper.listen(options.paths.service, helpers, { onLost });
  const agent = await keeper.listen(options.paths.agent, agentClients, { onLost }).catch((err: unknown) => {
    service.close();
    throw err;
  });
  return {
    close() {
      service.close();
      agent.close();
      localForwards.closeAll();
    },
  };
}

/**
 * `gritty rf`: the laptop listens for as long as the helper holds the service, the
 * laptop's rf-conn channels may reach its target meanwhile, and the helper hears why a
 * connection could not reach it. The laptop going away ends the service.
 */
function remoteForwardService(openChannel: SessionSocketsOptions['openChannel'], targets: RemoteForwardTargets): StartService {
  return async (params, tell) => {
    const spec = readParams(params, { listen: port(), target: port() });
    const forward = await startRemoteForward({
      spec,
      open: (kind, channelParams) => openChannel(kind, channelParams),
      targets,
      onRefused: (reason) => tell(`a connection was not forwarded: ${reason}`),
    });
    return {
      close: async () => forward.close(),
      ended: forward.closed,
    };
  };
}

/** The `gritty lf` listeners of one session, each held by its helper's connection. */
function localForwardService(openChannel: SessionSocketsOptions['openChannel']): { start: StartService; closeAll(): void } {
  const held = new Set<HeldService>();
  const start: StartService = async (params, tell) => {
    if (held.size >= MAX_LOCAL_FORWARDS) {
      throw new GrittyError('channel-refused', `this session already has ${MAX_LOCAL_FORWARDS} gritty lf running; stop one first`);
    }
    const spec = readParams(params, { listen: port(), target: port() });
    const forward = await startLocalForward({
      spec,
      open: (kind, channelParams) => openChannel(kind, channelParams),
      onRefused: (reason) => tell(`a connection was not forwarded: ${reason}`),
    });
    const entry: HeldService = {
      close: () => {
        held.delete(entry);
        return forward.close();
      },
    };
    held.add(entry);
    return entry;
  };
  return { start, closeAll: () => [...held].forEach((entry) => void entry.close()) };
}
