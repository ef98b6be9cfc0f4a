import { randomBytes } from 'node:crypto';
import type { ChannelAcceptor } from '../relay/channel-mux.js';
import type { Connection } from '../relay/connection.js';
import { GrittyError, assertNever, isGrittyError } from '../relay/errors.js';
import { MAX_PROCESS_NAME_CHARS, type DetachReason, type LinkState, type Message, type SessionInfo, type TailFrom } from '../relay/messages.js';
import { OutputPump } from './output-pump.js';
import type { ExitStatus, Pty } from './pty.js';
import { planReplay } from './replay.js';
import { ReadGate } from './read-gate.js';
import { RingBuffer } from './ring-buffer.js';
import type { Screen } from './screen.js';
import { SessionLink } from './session-link.js';

/**
 * A client that stopped sending anything (it pings every 5 s when idle) for this long
 * is dropped, so the session shows as detached and its socket is released.
 */
export const CLIENT_SILENCE_LIMIT_MS = 45_000;

export interface AttachRequest {
  cols: number;
  rows: number;
  /** What the same client had rendered (and holds of its channels) before its connection dropped. */
  resume: { token: string; offset: number; link?: LinkState } | undefined;
  /** Paint the current screen on a fresh attach (off with --no-redraw). */
  repaint: boolean;
  by: string;
  /** The client's capabilities from its hello. */
  caps: readonly string[];
}

interface Viewer {
  conn: Connection;
  pump: OutputPump;
  lastHeard: number;
}

interface Client extends Viewer {
  token: string;
  by: string;
}

export interface SessionOptions {
  id: string;
  name: string;
  pty: Pty;
  screen: Screen;
  ring: RingBuffer;
  cols: number;
  rows: number;
  /** How long a killed shell has after SIGHUP before SIGKILL. */
  killGraceMs: number;
  /** Decides on channels the attached client opens. */
  acceptor: ChannelAcceptor;
}

/** Outcome of an attach that could not proceed. */
export type AttachRefusal = { code: 'taken-over'; by: string | undefined };

/**
 * One PTY and its output history. The shell never waits on a client that is not taking
 * output: output goes into the ring, and each viewer (at most one attached client, any
 * number of tails) reads the ring at its own pace; only a live client far behind
 * pauses the PTY (ReadGate).
 */
export class Session {
  readonly ring: RingBuffer;
  readonly createdAt = Date.now();
  activeAt = Date.now();
  private client: Client | undefined;
  /** Token of the latest attach; a resume with another token lost the session to a takeover. */
  private token: string | undefined;
  private lastAttachedBy: string | undefined;
  private readonly tails = new Set<Viewer>();
  private exitStatus: ExitStatus | undefined;
  private readonly exitListeners: ((status: ExitStatus) => void)[] = [];
  private cols: number;
  private rows: number;
  private readonly link: SessionLink;
  private readonly gate: ReadGate;

  readonly id: string;
  name: string;
  private readonly pty: Pty;
  private readonly screen: Screen;
  private readonly killGraceMs: number;

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.name = options.name;
    this.pty = options.pty;
    this.screen = options.screen;
    this.ring = options.ring;
    this.killGraceMs = options.killGraceMs;
    this.cols = options.cols;
    this.rows = options.rows;
    this.link = new SessionLink(options.pty, options.acceptor);
    this.gate = new ReadGate(options.pty, options.ring);
    this.pty.onData((data) => this.onOutput(data));
    this.pty.onExit((status) => this.onExit(status));
  }

  get isAttached(): boolean {
    return this.client !== undefined;
  }

  info(): SessionInfo {
    return {
      id: this.id,
      name: this.name,
      pid: this.pty.pid,
      createdAt: this.createdAt,
      activeAt: this.activeAt,
      attached: this.client !== undefined,
      attachedBy: this.client?.by,
      foreground: this.pty.foreground()?.slice(0, MAX_PROCESS_NAME_CHARS),
      cols: this.cols,
      rows: this.rows,
      offset: this.ring.end,
    };
  }

  onEnded(listener: (status: ExitStatus) => void): void {
    this.exitListeners.push(listener);
  }

  /**
   * Makes `conn` the session's client, taking over from any other. Returns a refusal
   * when a resume comes from a client whose session was taken over since.
   */
  async attach(conn: Connection, req: AttachRequest): Promise<AttachRefusal | undefined> {
    if (req.resume !== undefined && req.resume.token !== this.token) {
      return { code: 'taken-over', by: this.lastAttachedBy };
    }
    const token = randomBytes(12).toString('hex');
    this.token = token;
    this.lastAttachedBy = req.by;
    this.dropClient('taken-over', req.by);
    if (req.resume === undefined) this.link.end(`session ${this.name} was attached by ${req.by}`);
    this.resize(req.cols, req.rows);
    this.activeAt = Date.now();

    const plan = planReplay(this.ring, req.resume?.offset);
    const client: Client = {
      conn,
      token,
      by: req.by,
      lastHeard: Date.now(),
      pump: new OutputPump(this.ring, conn, this.ring.end, {
        // a live client that fell behind has the history it saw: repaint just the screen
        onFellBehind: (lost) => void this.repaint(client, lost, 0),
        onCaughtUp: () => this.sendExitIfDone(client),
        takeAck: () => this.link.input.takeAck(),
        onSent: () => this.gate.update(this.client?.pump),
      }),
    };
    this.client = client;
    client.pump.stop();
    conn.onClose(() => {
      client.pump.stop();
      this.link.disconnect(conn);
      if (this.client === client) this.client = undefined;
      this.gate.update(this.client?.pump);
    });

    let start = this.ring.end;
    let snapshot: Buffer | undefined;
    let lost = 0;
    if (plan.kind === 'resume') start = plan.from;
    else if (plan.kind === 'repaint' || req.repaint) {
      const shot = await this.screen.snapshot();
      start = shot.offset;
      snapshot = shot.data;
      lost = plan.kind === 'repaint' ? plan.lost : 0;
    }
    if (this.client !== client || conn.isClosed) return undefined;
    conn.send({ type: 'attached', session: this.info(), token, offset: start, lost, ...this.link.offer(req.caps) });
    if (snapshot !== undefined) conn.send({ type: 'snapshot', offset: start, data: snapshot, lost });
    this.link.connect(conn, req.caps, req.resume?.link);
    conn.setHandler((msg) => this.onClientMessage(client, msg));
    client.pump.restartAt(start);
    return undefined;
  }

  /** A read-only viewer from `from` ('now': live only, 'history': the whole ring, 'screen': a repaint first). */
  async tail(conn: Connection, from: TailFrom): Promise<void> {
    const viewer: Viewer = {
      conn,
      lastHeard: Date.now(),
      pump: new OutputPump(this.ring, conn, this.ring.end, {
        onFellBehind: (lost) => void this.repaint(viewer, lost, 0),
        onCaughtUp: () => this.sendExitIfDone(viewer),
      }),
    };
    viewer.pump.stop();
    this.tails.add(viewer);
    conn.onClose(() => {
      viewer.pump.stop();
      this.tails.delete(viewer);
    });
    conn.setHandler((msg) => {
      viewer.lastHeard = Date.now();
      if (msg.type === 'ping') conn.send({ type: 'pong', ts: msg.ts });
    });
    let start = from === 'history' ? this.ring.start : this.ring.end;
    let snapshot: Buffer | undefined;
    if (from === 'screen') {
      const shot = await this.screen.snapshot();
      start = shot.offset;
      snapshot = shot.data;
    }
    if (conn.isClosed) return;
    conn.send({ type: 'attached', session: this.info(), token: '', offset: start, lost: from === 'history' ? this.ring.start : 0 });
    if (snapshot !== undefined) conn.send({ type: 'snapshot', offset: start, data: snapshot, lost: 0 });
    viewer.pump.restartAt(start);
  }

  /** Tells the client why it is let go and closes its connection. */
  dropClient(reason: DetachReason, by?: string): void {
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    client.pump.stop();
    this.link.end(detachReasonText(this.name, reason, by));
    client.conn.send({ type: 'detached', reason, by });
    client.conn.close();
  }

  evictSilent(now: number): void {
    if (this.client !== undefined && now - this.client.lastHeard > CLIENT_SILENCE_LIMIT_MS) this.dropClient('evicted');
  }

  /** SIGHUP, as when a terminal closes; SIGKILL if the shell is still there after the grace period. */
  kill(): void {
    this.pty.kill('SIGHUP');
    const escalate = setTimeout(() => this.pty.kill('SIGKILL'), this.killGraceMs);
    escalate.unref();
    this.onEnded(() => clearTimeout(escalate));
  }

  /** Ends every viewer as the daemon shuts down, then the process (as kill() does). */
  shutdown(): void {
    this.dropClient('server-shutdown');
    for (const viewer of this.tails) {
      viewer.conn.send({ type: 'detached', reason: 'server-shutdown' });
      viewer.conn.close();
    }
    this.kill();
  }

  /** Opens a channel to the attached client; rejects at once with the reason when none can take it. */
  openChannel(kind: string, params: Record<string, string | number | boolean>): ReturnType<SessionLink['channels']['open']> {
    if (this.client === undefined) return Promise.reject(new GrittyError('channel-refused', `no client is attached to session ${this.name}`));
    return this.link.channels.open(kind, params);
  }

  private resize(cols: number, rows: number): void {
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    this.pty.resize(cols, rows);
    this.screen.resize(cols, rows);
  }

  private onClientMessage(client: Client, msg: Message): void {
    client.lastHeard = Date.now();
    if (msg.type === 'input') this.activeAt = client.lastHeard;
    try {
      if (this.link.handle(msg)) return;
    } catch (err) {
      client.conn.close(isGrittyError(err) ? err : undefined);
      return;
    }
    switch (msg.type) {
      case 'resize':
        this.resize(msg.cols, msg.rows);
        return;
      case 'repaint':
        client.pump.stop();
        // a repaint asked for while the pump is out of the ring still reports what was skipped
        void this.repaint(client, Math.max(0, this.ring.start - client.pump.offset), 0);
        return;
      case 'detach':
        if (this.client === client) this.client = undefined;
        client.pump.stop();
        this.link.end(`the client detached from session ${this.name}`);
        client.conn.close();
        return;
      default:
        client.conn.close(new GrittyError('bad-message', `${msg.type} has no place on a session stream`));
    }
  }

  /** Sends a picture of the screen (with up to `scrollback` lines of history) and continues from its offset. */
  private async repaint(viewer: Viewer, lost: number, scrollback?: number): Promise<void> {
    const shot = await this.screen.snapshot(scrollback);
    if (viewer.conn.isClosed) return;
    viewer.conn.send({ type: 'snapshot', offset: shot.offset, data: shot.data, lost });
    viewer.pump.restartAt(shot.offset);
  }

  private onOutput(data: Buffer): void {
    this.ring.append(data);
    this.activeAt = Date.now();
    this.client?.pump.pump();
    for (const viewer of this.tails) viewer.pump.pump();
    this.gate.update(this.client?.pump);
    this.screen.noteOutput();
  }

  private onExit(status: ExitStatus): void {
    this.exitStatus = status;
    this.gate.close();
    this.client?.pump.pump();
    for (const viewer of this.tails) viewer.pump.pump();
    this.screen.close();
    this.link.end(`session ${this.name} exited`);
    this.link.input.close();
    for (const listener of this.exitListeners) listener(status);
  }

  private sendExitIfDone(viewer: Viewer): void {
    const status = this.exitStatus;
    if (status === undefined) return;
    viewer.conn.send({ type: 'exit', code: status.code, signal: status.signal });
    viewer.conn.close();
  }
}

function detachReasonText(name: string, reason: DetachReason, by: string | undefined): string {
  switch (reason) {
    case 'taken-over':
      return `session ${name} was taken over by ${by ?? 'another client'}`;
    case 'killed':
      return `session ${name} was killed`;
    case 'server-shutdown':
      return 'the gritty server shut down';
    case 'evicted':
      return `the client stayed away from session ${name} past the eviction limit`;
    default:
      return assertNever(reason);
  }
}
