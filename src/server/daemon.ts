import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { homedir } from 'node:os';
import { Connection } from '../relay/connection.js';
import { GrittyError, assertNever, isGrittyError } from '../relay/errors.js';
import type { Logger } from '../relay/log.js';
import { PROTOCOL_VERSION, SERVER_CAPABILITIES, type Message, type SessionSpec } from '../relay/messages.js';
import { ensurePrivateDir, listenPrivate } from '../relay/secure-socket.js';
import type { DaemonContext } from './context.js';
import { spawnPty } from './pty.js';
import { handleAttach } from './requests/attach.js';
import { handleKillServer } from './requests/kill-server.js';
import { handleKillSession } from './requests/kill-session.js';
import { handleList } from './requests/list.js';
import { handleNew } from './requests/new.js';
import { handleRename } from './requests/rename.js';
import { handleTail } from './requests/tail.js';
import { RingBuffer } from './ring-buffer.js';
import { ScreenHost } from './screen-host.js';
import { sessionEnv } from './session-env.js';
import { Session } from './session.js';
import { SessionTable } from './session-table.js';

/** A peer has this long to say hello and make its request. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** How often attached clients are checked for silence. */
const EVICTION_SWEEP_MS = 5_000;
/** A killed session's shell gets this long to exit on SIGHUP before SIGKILL. */
const KILL_GRACE_MS = 3_000;

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
  private readonly screens: ScreenHost;
  private server: Server | undefined;
  private readonly sweep: NodeJS.Timeout;
  private readonly stopped: Promise<void>;
  private stop!: () => void;

  constructor(private readonly options: DaemonOptions) {
    this.log = options.log;
    this.screens = new ScreenHost(options.log);
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const session of this.sessions.all()) session.evictSilent(now);
    }, EVICTION_SWEEP_MS);
    this.stopped = new Promise((resolve) => (this.stop = resolve));
  }

  async listen(): Promise<void> {
    ensurePrivateDir(this.options.socketDir);
    this.server = await listenPrivate(this.options.ctlSocket, (socket) => this.onConnection(socket));
    this.log.info(`listening on ${this.options.ctlSocket} (protocol ${PROTOCOL_VERSION}, server ${this.serverId})`);
  }

  /** Resolves once the daemon has shut down. */
  whenStopped(): Promise<void> {
    return this.stopped;
  }

  createSession(spec: SessionSpec): Session {
    const name = this.sessions.claimName(spec.name);
    const id = randomBytes(4).toString('hex');
    const shell = process.env.SHELL !== undefined && process.env.SHELL !== '' ? process.env.SHELL : '/bin/sh';
    const spawned = spawnPty({
      file: shell,
      args: spec.command === undefined ? ['-l'] : ['-c', spec.command],
      cwd: usableDir(spec.cwd),
      env: sessionEnv({ daemonEnv: process.env, clientEnv: spec.env, ctlSocket: this.options.ctlSocket, sessionId: id, sessionName: name }),
      cols: spec.cols,
      rows: spec.rows,
    });
    if (!spawned.ok) throw new GrittyError('spawn-failed', spawned.error);
    const ring = new RingBuffer(this.options.ringBytes);
    const screen = this.screens.open(id, ring, spec.cols, spec.rows);
    const session = new Session(id, name, spawned.pty, screen, ring, { cols: spec.cols, rows: spec.rows }, KILL_GRACE_MS);
    this.sessions.add(session);
    session.onEnded(() => this.log.info(`session ${session.name} (${id}) ended`));
    this.log.info(`session ${name} (${id}) started, pid ${spawned.pty.pid}`);
    return session;
  }

  shutdown(): void {
    this.log.info('shutting down');
    clearInterval(this.sweep);
    this.server?.close();
    for (const session of this.sessions.all()) session.shutdown();
    void this.screens.close().finally(() => this.stop());
  }

  private onConnection(socket: Socket): void {
    const conn = new Connection(socket);
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

  private async serve(conn: Connection): Promise<void> {
    const hello = await conn.expect('hello', HANDSHAKE_TIMEOUT_MS);
    conn.send({ type: 'hello-ack', version: PROTOCOL_VERSION, caps: [...SERVER_CAPABILITIES], serverId: this.serverId, pid: process.pid, startedAt: this.startedAt });
    const request = await conn.receive(HANDSHAKE_TIMEOUT_MS);
    if (hello.version !== PROTOCOL_VERSION && request.type !== 'kill-server') {
      throw new GrittyError(
        'version-mismatch',
        `this daemon speaks protocol ${PROTOCOL_VERSION}, the client ${hello.version}; upgrade one side, or stop this daemon with gritty kill-server`,
      );
    }
    await this.route(conn, request, `${hello.clientName} (${hello.deviceId.slice(0, 8)})`);
  }

  private async route(conn: Connection, msg: Message, by: string): Promise<void> {
    switch (msg.type) {
      case 'new':
        return handleNew(this, conn, msg, by);
      case 'attach':
        return handleAttach(this, conn, msg, by);
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
        throw new GrittyError('bad-message', `${msg.type} is not a request`);
      default:
        return assertNever(msg);
    }
  }
}

function usableDir(dir: string | undefined): string {
  if (dir !== undefined && existsSync(dir) && statSync(dir).isDirectory()) return dir;
  return homedir();
}
