import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import { RemoteForwardTargets } from '../forward/port/rf.js';
import { sessionForwarding } from '../forward/session.js';
import { acceptedConnection, type Connection } from '../relay/connection.js';
import { GrittyError, assertNever, isGrittyError } from '../relay/errors.js';
import type { Logger } from '../relay/log.js';
import { sessionSocketPaths } from '../relay/paths.js';
import { MAX_CLIENT_LABEL_CHARS, PROTOCOL_VERSION, SERVER_CAPABILITIES, type Message, type MessageOf, type SessionSpec } from '../relay/messages.js';
import { ensurePrivateDir } from '../relay/secure-socket.js';
import type { DaemonContext, Peer } from './context.js';
import { spawnPty } from './pty.js';
import { QuietCollector } from './quiet-collector.js';
import { handleAttach } from './requests/attach.js';
import { handleKillServer } from './requests/kill-server.js';
import { handleKillSession } from './requests/kill-session.js';
import { handleList } from './requests/list.js';
import { handleNew } from './requests/new.js';
import { handleRename } from './requests/rename.js';
import { handleTail } from './requests/tail.js';
import { RingBuffer } from './ring-buffer.js';
import { Screen } from './screen.js';
import { openSessionSockets } from './session-sockets.js';
import { sessionEnv } from './session-env.js';
import { Session } from './session.js';
import { SessionTable } from './session-table.js';
import { SocketKeeper, type KeptListener } from './socket-keeper.js';

/** A peer has this long to say hello and make its request. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** How often attached clients are checked for silence. */
const EVICTION_SWEEP_MS = 5_000;
/** A killed session's shell gets this long to exit on SIGHUP before SIGKILL. */
const KILL_GRACE_MS = 3_000;
/** After SIGKILL, how long the kernel gets to end a shell before shutdown reports it stuck. */
const SIGKILL_REAP_MS = 2_000;
/**
 * Quiet (no request, no session input or output) before the daemon collects a burst's
 * garbage: long enough that V8 sees a low allocation rate and shrinks its young
 * generation too (4 to 1 MiB), and that a collection seldom meets a keystroke.
 */
const COLLECT_QUIET_MS = 5_000;
/** Heap growth since the last collection that makes another worth its ~20 ms pause. */
const COLLECT_MIN_GROWTH_BYTES = 1 << 20;

export interface DaemonOptions {
  socketDir: string;
  ctlSocket: string;
  ringBytes: number;
  log: Logger;
}

/** Accepts connections on ctl.sock, does the handshake and routes the one request. */
export class Daemon implements DaemonContext {
  readonly sessions = new SessionTable();
  readonly serverId = randomBytes(8).toString('hex');
  readonly startedAt = Date.now();
  readonly log: Logger;
  /** What `$BROWSER` runs in a session: this gritty's `open`, which asks the attached laptop. */
  private readonly browser = `${process.argv[1] ?? 'gritty'} open`;
  private readonly keeper: SocketKeeper;
  private listener: KeptListener | undefined;
  private readonly sweep: NodeJS.Timeout;
  private readonly collector: QuietCollector | undefined;
  private readonly stopped: Promise<void>;
  private stop!: () => void;
  private ending: Promise<number[]> | undefined;
  private stopping = false;

  constructor(private readonly options: DaemonOptions) {
    this.log = options.log;
    this.keeper = new SocketKeeper(options.log);
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const session of this.sessions.all()) session.evictSilent(now);
    }, EVICTION_SWEEP_MS);
    this.stopped = new Promise((resolve) => (this.stop = resolve));
    this.collector = quietCollector(this.sessions, options.log);
  }

  async listen(): Promise<void> {
    ensurePrivateDir(this.options.socketDir);
    this.listener = await this.keeper.listen(this.options.ctlSocket, (socket) => this.onConnection(socket), {
      pauseOnConnect: true,
      // unreachable, the daemon would hold its sessions where no one can ever attach
      onLost: (reason) => {
        this.log.error(`${reason}; no client can reach this server any more, so it ends its sessions and exits`);
        this.shutdown();
      },
    });
    this.log.info(`listening on ${this.options.ctlSocket} (protocol ${PROTOCOL_VERSION}, server ${this.serverId})`);
  }

  /** Resolves once the daemon has shut down. */
  whenStopped(): Promise<void> {
    return this.stopped;
  }

  createSession(spec: SessionSpec): Session {
    // a session made now would miss the shutdown that is ending the others
    if (this.ending !== undefined) throw new GrittyError('spawn-failed', 'this gritty server is shutting down; run the command again to start a new one');
    const name = this.sessions.claimName(spec.name);
    const id = randomBytes(4).toString('hex');
    const sockets = sessionSocketPaths(this.options.socketDir, id);
    const targets = new RemoteForwardTargets();
    const shell = process.env.SHELL !== undefined && process.env.SHELL !== '' ? process.env.SHELL : '/bin/sh';
    const spawned = spawnPty({
      file: shell,
      args: spec.command === undefined ? ['-l'] : ['-c', spec.command],
      cwd: workingDir(spec.cwd),
      env: sessionEnv({ daemonEnv: process.env, clientEnv: spec.env, sockets, browser: this.browser, sessionId: id, sessionName: name }),
      cols: spec.cols,
      rows: spec.rows,
      drainFloods: true,
    });
    if (!spawned.ok) throw new GrittyError('spawn-failed', spawned.error);
    const ring = new RingBuffer(spec.ringBytes ?? this.options.ringBytes);
    const screen = new Screen(ring, { cols: spec.cols, rows: spec.rows }, this.log);
    const session = new Session({ id, name, pty: spawned.pty, screen, ring, cols: spec.cols, rows: spec.rows, killGraceMs: KILL_GRACE_MS, acceptor: sessionForwarding({ targets, log: (line) => this.log.info(line) }) });
    this.sessions.add(session);
    session.onEnded(() => {
      this.log.info(`session ${session.name} (${id}) ended`);
      this.collector?.armForSessions();
    });
    this.openSockets(session, sockets, targets);
    this.collector?.armForSessions();
    this.log.info(`session ${name} (${id}) started, pid ${spawned.pty.pid}`);
    return session;
  }

  /**
   * Stops accepting connections and ends every session as kill-session does (SIGHUP,
   * SIGKILL after the grace period). Resolves once every shell is gone, or with the
   * pids of those that outlived SIGKILL as well (a process stuck in the kernel).
   */
  endSessions(): Promise<number[]> {
    this.ending ??= this.killAll();
    return this.ending;
  }

  /** Ends every session, then the daemon. */
  shutdown(): void {
    if (this.stopping) return;
    this.stopping = true;
    void this.endSessions().finally(() => {
      clearInterval(this.sweep);
      this.collector?.stop();
      this.stop();
    });
  }

  private async killAll(): Promise<number[]> {
    this.log.info('shutting down');
    this.keeper.stop();
    this.listener?.close();
    const sessions = this.sessions.all();
    const ended = Promise.all(sessions.map((s) => new Promise<void>((resolve) => s.onEnded(() => resolve()))));
    for (const session of sessions) session.shutdown();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, KILL_GRACE_MS + SIGKILL_REAP_MS)))]);
    clearTimeout(timer);
    const left = this.sessions.all().map((s) => s.info().pid);
    if (left.length > 0) this.log.warn(`shells still running after SIGKILL: ${left.join(', ')}`);
    return left;
  }

  private onConnection(socket: Socket): void {
    this.collector?.arm();
    socket.once('close', () => this.collector?.arm());
    const conn = acceptedConnection(socket);
    void this.serve(conn).catch((err: unknown) => {
      if (isGrittyError(err)) {
        this.log.debug(`request refused: ${err.code}: ${err.message}`);
        conn.close(err);
      } else {
        this.log.error('request failed', err);
        conn.close(new GrittyError('internal', `the daemon failed: ${String(err)}; see its log`));
      }
    });
  }

  /** Gives the session its service and agent sockets, closed when it ends. */
  private openSockets(session: Session, paths: { service: string; agent: string }, targets: RemoteForwardTargets): void {
    openSessionSockets({
      paths,
      handshake: async (conn) => {
        const hello = await this.handshake(conn);
        if (hello.version !== PROTOCOL_VERSION) throw versionMismatch(hello.version);
      },
      openChannel: (kind, params) => session.openChannel(kind, params),
      targets,
      keeper: this.keeper,
      log: this.log,
    }).then(
      (sockets) => session.onEnded(() => sockets.close()),
      (err: unknown) => this.log.error(`session ${session.name} (${session.id}) has no service or agent socket`, err),
    );
  }

  private async handshake(conn: Connection): Promise<MessageOf<'hello'>> {
    const hello = await conn.expect('hello', HANDSHAKE_TIMEOUT_MS);
    conn.send({ type: 'hello-ack', version: PROTOCOL_VERSION, caps: [...SERVER_CAPABILITIES], serverId: this.serverId, pid: process.pid, startedAt: this.startedAt });
    return hello;
  }

  private async serve(conn: Connection): Promise<void> {
    const hello = await this.handshake(conn);
    const request = await conn.receive(HANDSHAKE_TIMEOUT_MS);
    if (hello.version !== PROTOCOL_VERSION && request.type !== 'kill-server') throw versionMismatch(hello.version);
    await this.route(conn, request, { by: clientLabel(hello), caps: hello.caps });
  }

  private async route(conn: Connection, msg: Message, peer: Peer): Promise<void> {
    switch (msg.type) {
      case 'new':
        return handleNew(this, conn, msg, peer);
      case 'attach':
        return handleAttach(this, conn, msg, peer);
      case 'tail':
        return handleTail(this, conn, msg);
      case 'list':
        return handleList(this, conn);
      case 'kill-session':
        return handleKillSession(this, conn, msg);
      case 'rename':
        return handleRename(this, conn, msg);
      case 'kill-server':
        return handleKillServer(this, conn);
      case 'hello':
      case 'hello-ack':
      case 'error':
      case 'ok':
      case 'created':
      case 'sessions':
      case 'attached':
      case 'snapshot':
      case 'output':
      case 'input':
      case 'resize':
      case 'ping':
      case 'pong':
      case 'exit':
      case 'detach':
      case 'repaint':
      case 'detached':
      case 'ack':
      case 'ch-open':
      case 'ch-accept':
      case 'ch-data':
      case 'ch-eof':
      case 'ch-close':
      case 'svc-channel':
        throw new GrittyError('bad-message', `${msg.type} is not a request`);
      default:
        return assertNever(msg);
    }
  }
}

function versionMismatch(clientVersion: number): GrittyError {
  return new GrittyError(
    'version-mismatch',
    `this daemon speaks protocol ${PROTOCOL_VERSION}, the client ${clientVersion}; upgrade one side, or stop this daemon with gritty kill-server`,
  );
}

/**
 * Who a client is, as `ls` and a taken-over client are told: `name (device)`, cut to
 * what the receiver's schema takes. The name gives way; the device id stays whole.
 */
function clientLabel(hello: MessageOf<'hello'>): string {
  const device = ` (${hello.deviceId.slice(0, 8)})`;
  return `${hello.clientName.slice(0, MAX_CLIENT_LABEL_CHARS - device.length)}${device}`;
}

/**
 * The daemon's collector of garbage left by requests, when V8's `gc` is exposed to it
 * (server-start.ts starts it with --expose-gc; a daemon run by hand without it leaves
 * collection to V8).
 */
function quietCollector(sessions: SessionTable, log: Logger): QuietCollector | undefined {
  const collect = globalThis.gc;
  if (collect === undefined) return undefined;
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return new QuietCollector({
    quietMs: COLLECT_QUIET_MS,
    minGrowthBytes: COLLECT_MIN_GROWTH_BYTES,
    lastActivity: () => sessions.lastActive(),
    heapUsed: () => process.memoryUsage().heapUsed,
    collect: () => collect(),
    collected: (before, after) => log.debug(`collected garbage once quiet: heap ${mib(before)} → ${mib(after)} MiB`),
  });
}

/** The session's working directory: the one the client asked for, which must exist, or home. */
function workingDir(dir: string | undefined): string {
  if (dir === undefined) return homedir();
  if (!isAbsolute(dir)) throw new GrittyError('spawn-failed', `cannot start the session in ${dir}: not an absolute path`);
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw new GrittyError('spawn-failed', `cannot start the session in ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}; cd to an existing directory and try again`, { cause: err });
  }
  if (!isDir) throw new GrittyError('spawn-failed', `cannot start the session in ${dir}: not a directory; cd to an existing directory and try again`);
  return dir;
}
