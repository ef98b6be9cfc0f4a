import type { Duplex } from 'node:stream';
import type { ChannelParams } from '../relay/channel.js';
import type { ChannelAcceptor } from '../relay/channel-mux.js';
import type { Connection } from '../relay/connection.js';
import { GrittyError, assertNever, isGrittyError } from '../relay/errors.js';
import type { Message, MessageOf, SessionInfo, SessionSpec } from '../relay/messages.js';
import { LOCAL_HOST } from '../relay/names.js';
import { detachedEnding, exitEnding, fatalText, sessionLabel, statusText, type Ending } from './attach-words.js';
import { ClientLink } from './client-link.js';
import { INPUT_HELD_BYTES } from './input-sender.js';
import { printable } from '../relay/printable.js';
import type { DaemonLink } from './daemon-client.js';
import { ESCAPE_HELP, EscapeParser, type EscapeAction } from './escape.js';
import { Liveness, QUIET_OUTAGE_MS, ReconnectFailures, backoffDelay } from './reconnect.js';
import { StatusLine } from './status-line.js';
import { RenderedStream } from './rendered-stream.js';
import type { LocalTerminal } from './terminal.js';

/** How often the link is checked; pings go out at the heartbeat interval when idle. */
const TICK_MS = 250;
/** An attach that paints a snapshot may take a while on a loaded host; this is its bound. */
const ATTACH_TIMEOUT_MS = 30_000;
/**
 * How long an ending client waits for the daemon to hang up: long enough for a busy
 * tunnel to take the up to 64 KiB of channel data queued before a detach, short enough
 * that ~. on a stalled link still returns at once to a person.
 */
const EXIT_HANGUP_MS = 2_000;
/**
 * How long ~. typed while the link is down tries to reach the daemon to tell it: a
 * daemon that thinks the client may resume holds the session's channels (forwards,
 * transfers, the agent) until the next attach. A few reconnect attempts, and still a
 * short wait for a person who asked to leave.
 */
const DETACH_REACH_MS = 5_000;
/** The delay between those attempts: the person is waiting, so no backoff. */
const DETACH_RETRY_MS = 100;

export interface AttachOptions {
  /** What to ask for on the first connection: a new session, or an existing one. */
  first: { kind: 'new'; spec: SessionSpec } | { kind: 'attach'; target: string; create: SessionSpec | undefined };
  /** Opens a handshaken connection to the daemon (through a tunnel for remote hosts). */
  connect: () => Promise<DaemonLink>;
  /** Called when the link is found dead, so a tunnel can be replaced at once. */
  onLinkDown: () => void;
  host: string;
  terminal: LocalTerminal;
  escapes: boolean;
  repaint: boolean;
  heartbeat: { intervalMs: number; timeoutMs: number };
  /** Decides on channels the session opens toward this laptop. */
  acceptor: ChannelAcceptor;
  /** The session this client runs inside, if any: the daemon refuses to attach it to itself. */
  from: string | undefined;
  /** Told the session after each attach (a reattach may find it renamed). */
  onAttached?: (session: SessionInfo) => void;
}


/**
 * The attach loop: renders the session, sends keystrokes, keeps the link alive and
 * reattaches by itself after a drop, resuming at the exact byte it had rendered.
 */
export class AttachClient {
  private readonly escapes = new EscapeParser();
  private readonly status: StatusLine;
  private conn: Connection | undefined;
  private serverId: string | undefined;
  private session: SessionInfo | undefined;
  private token: string | undefined;
  private readonly rendered: RenderedStream;
  private rttMs: number | undefined;
  private liveness: Liveness | undefined;
  private readonly link: ClientLink;
  private serverCaps: readonly string[] = [];
  /** Keystrokes dropped because the link was down and the held input full. */
  private droppedInput = 0;
  /** The reconnect attempt under way, for the status line. */
  private attempt = 0;
  private retryNow: (() => void) | undefined;
  /** Set while ~. typed with the link down reconnects only to send `detach`; fires the give-up. */
  private leaving: NodeJS.Timeout | undefined;
  private ending: Ending | undefined;
  private finish!: (ending: Ending) => void;
  private readonly done = new Promise<Ending>((resolve) => (this.finish = resolve));

  constructor(private readonly options: AttachOptions) {
    this.status = new StatusLine(options.terminal);
    this.rendered = new RenderedStream(options.terminal, this.status);
    this.link = new ClientLink(options.acceptor, {
      inputSent: () => this.liveness?.inputSent(Date.now()),
      inputSettled: (all) => this.liveness?.inputSettled(all, Date.now()),
      inputRoom: () => this.options.terminal.input.resume(),
    });
  }

  /** Opens a channel to the session (an OAuth callback, a remote-forward connection). */
  openChannel(kind: string, params: ChannelParams): Promise<Duplex> {
    return this.link.channels.open(kind, params);
  }

  /** One line for the person at this terminal (a transfer started or ended), on the status line, never into the session's screen. */
  notice(text: string): void {
    if (this.ending === undefined) this.status.show(printable(text));
  }

  /** Runs until detach, exit, takeover or a fatal error; resolves to the exit code. */
  async run(): Promise<Ending> {
    const { terminal } = this.options;
    terminal.enterRaw();
    const onInput = (data: Buffer): void => this.onInput(data);
    const onResize = (): void => {
      this.conn?.send({ type: 'resize', ...terminal.size });
    };
    terminal.onInput(onInput);
    terminal.output.on('resize', onResize);
    const ticker = setInterval(() => this.tick(), TICK_MS);
    void this.connectLoop();
    const ending = await this.done;
    clearInterval(ticker);
    terminal.onInput(undefined);
    terminal.output.off('resize', onResize);
    terminal.input.pause();
    this.status.clear();
    terminal.restore(true);
    return ending;
  }

  private end(code: number, message?: string): void {
    if (this.ending !== undefined) return;
    // endings quote the daemon (names, who took over, its errors): escaped before they reach the terminal
    this.ending = { code, message: message === undefined ? undefined : printable(message) };
    clearTimeout(this.leaving);
    this.link.end('the client ended');
    this.retryNow?.();
    const conn = this.conn;
    // this process exits once run() returns: the daemon must first have read the detach
    // (or the end of the link), which may wait behind channel data
    const gone = conn?.hungUp(EXIT_HANGUP_MS) ?? Promise.resolve();
    conn?.close();
    const ending = this.ending;
    void gone.then(() => this.finish(ending));
  }

  private async connectLoop(): Promise<void> {
    const failures = new ReconnectFailures(this.options.host === LOCAL_HOST);
    let attempt = 0;
    const showStatus = (): void => {
      this.attempt = attempt;
      if (this.session !== undefined) this.status.show(this.linkDownText());
    };
    const statusTimer = setTimeout(showStatus, QUIET_OUTAGE_MS);
    try {
      for (; this.ending === undefined; attempt++) {
        if (attempt > 0) {
          await this.wait(this.leaving === undefined ? backoffDelay(attempt) : DETACH_RETRY_MS);
          if (this.ending !== undefined) return;
          if (this.status.isShown) showStatus();
        }
        try {
          await this.connectOnce();
          if (this.ending !== undefined) return;
          if (this.status.clear()) this.conn?.send({ type: 'repaint' });
          this.noteDroppedInput();
          return;
        } catch (err) {
          if (this.session === undefined || failures.judge(err) === 'give-up') {
            this.end(1, fatalText(err, this.options, this.session));
            return;
          }
        }
      }
    } finally {
      clearTimeout(statusTimer);
    }
  }

  private async connectOnce(): Promise<void> {
    const link = await this.options.connect();
    const { conn, ack } = link;
    if (this.serverId !== undefined && ack.serverId !== this.serverId) {
      conn.close();
      throw new GrittyError('no-such-session', `the gritty server on ${this.options.host} restarted, so session ${this.session?.name ?? ''} is gone`);
    }
    conn.send(this.attachRequest());
    const reply = await conn.receive(ATTACH_TIMEOUT_MS);
    if (reply.type === 'detached') {
      // another client attached while this attach was being prepared, and won
      conn.close();
      throw new GrittyError('taken-over', `[detached: ${sessionLabel(this.options.first, this.session)} was taken over by ${reply.by ?? 'another client'}]`);
    }
    if (reply.type !== 'attached') throw new GrittyError('bad-message', `expected attached, got ${reply.type}`);
    if (this.leaving !== undefined) {
      // ~. was typed while the link was down: this connection only tells the daemon the client is gone
      this.conn = conn;
      conn.send({ type: 'detach' });
      this.end(0, `[detached from ${this.describe()}]`);
      return;
    }
    const attached = reply;
    this.serverId = ack.serverId;
    this.serverCaps = ack.caps;
    this.session = attached.session;
    this.token = attached.token;
    this.rendered.offset = attached.offset;
    this.conn = conn;
    this.liveness = new Liveness(this.options.heartbeat.intervalMs, this.options.heartbeat.timeoutMs, Date.now());
    // before the handler: frames that came in the same read as `attached` are handled as
    // it is set, and the first output frame acknowledges input from where `attached` says
    this.link.connect(conn, attached, this.serverCaps);
    conn.setHandler((msg) => this.onMessage(msg));
    conn.onClose((reason) => this.onDisconnect(conn, reason));
    // measure the round trip now, so ~# has one to show before the first idle ping
    conn.send({ type: 'ping', ts: Date.now() });
    this.options.onAttached?.(attached.session);
  }

  private attachRequest(): Message {
    const { terminal, first, repaint } = this.options;
    const size = terminal.size;
    if (this.session === undefined) {
      if (first.kind === 'new') return { type: 'new', spec: { ...first.spec, ...size }, attach: true };
      return { type: 'attach', target: first.target, ...size, create: first.create, repaint, from: this.options.from };
    }
    return { type: 'attach', target: this.session.id, ...size, resume: { token: this.token!, offset: this.rendered.offset, link: this.link.state() }, repaint, from: this.options.from };
  }

  private onMessage(msg: Message): void {
    const now = Date.now();
    this.liveness?.heard(now);
    try {
      if (this.link.handle(msg)) return;
    } catch (err) {
      this.conn?.close(isGrittyError(err) ? err : undefined);
      return;
    }
    switch (msg.type) {
      case 'output':
        this.rendered.output(msg);
        return;
      case 'snapshot':
        this.rendered.snapshot(msg);
        return;
      case 'pong':
        this.rttMs = now - msg.ts;
        this.liveness?.ponged(now);
        return;
      case 'ping':
        this.conn?.send({ type: 'pong', ts: msg.ts, ack: this.link.acks() });
        return;
      case 'exit': {
        const ending = exitEnding(this.session?.name, msg);
        this.end(ending.code, ending.message);
        return;
      }
      case 'detached':
        this.onDetached(msg);
        return;
      case 'error':
        this.end(1, msg.message);
        return;
      default:
        return;
    }
  }

  private onDetached(msg: MessageOf<'detached'>): void {
    const ending = detachedEnding(this.options.host, this.session?.name, msg);
    // an eviction is answered by coming back
    if (ending === undefined) this.conn?.close();
    else this.end(ending.code, ending.message);
  }

  private onDisconnect(conn: Connection, reason: GrittyError | undefined): void {
    if (conn !== this.conn || this.ending !== undefined) return;
    this.conn = undefined;
    this.link.disconnect();
    // read the terminal while the link is down, so ~. still works
    this.options.terminal.input.resume();
    if (reason !== undefined && reason.code !== 'connection-lost') {
      this.end(1, reason.message);
      return;
    }
    this.options.onLinkDown();
    void this.connectLoop();
  }

  private onInput(data: Buffer): void {
    if (this.status.isShown && this.conn !== undefined && this.status.clear()) this.conn.send({ type: 'repaint' });
    const actions: EscapeAction[] = this.options.escapes ? this.escapes.feed(data) : [{ kind: 'send', data }];
    for (const action of actions) {
      switch (action.kind) {
        case 'send':
          this.sendInput(action.data);
          break;
        case 'detach':
          this.detach();
          return;
        case 'reconnect':
          this.conn?.socket.destroy();
          break;
        case 'status':
          this.options.terminal.write(`\r\n${this.statusText()}\r\n`);
          break;
        case 'suspend':
          this.suspend();
          break;
        case 'help':
          this.options.terminal.write(`\r\n${ESCAPE_HELP}\r\n`);
          break;
        default:
          assertNever(action);
      }
    }
  }

  /**
   * ~.: tells the daemon and ends. With the link down, first reconnects (for at most
   * DETACH_REACH_MS) just to send `detach`, so the daemon lets the session's channels go
   * now rather than hold them for a resume that will not come; a second ~. ends at once.
   */
  private detach(): void {
    if (this.conn !== undefined || this.session === undefined) {
      this.conn?.send({ type: 'detach' });
      this.end(0, `[detached from ${this.describe()}]`);
      return;
    }
    const held = "so it keeps this session's forwards, transfers and agent open until the next attach";
    if (this.leaving !== undefined) {
      // a second ~.: the person will not wait
      this.end(0, `[detached from ${this.describe()} without telling the gritty server on ${this.options.host}, ${held}]`);
      return;
    }
    this.leaving = setTimeout(() => {
      this.end(
        0,
        `[detached from ${this.describe()}; the gritty server on ${this.options.host} could not be reached in ${DETACH_REACH_MS / 1_000} s to be told, ${held}]`,
      );
    }, DETACH_REACH_MS);
    this.status.show(this.linkDownText());
    this.options.onLinkDown();
    this.retryNow?.();
  }

  private sendInput(data: Buffer): void {
    this.droppedInput += this.link.type(data);
    const connected = this.conn !== undefined && !this.conn.isClosed;
    if (connected) {
      // the session is not taking input as fast as it comes: stop reading the terminal, lose nothing
      if (this.link.input.full) this.options.terminal.input.pause();
      return;
    }
    this.noteDroppedInput();
    this.options.onLinkDown();
    this.retryNow?.();
  }

  /** Typing past the held input while the link is down drops keystrokes: say so, never silently. */
  private noteDroppedInput(): void {
    if (this.droppedInput === 0) return;
    if (this.conn === undefined) {
      this.status.show(this.linkDownText());
      return;
    }
    this.status.show(`[gritty] link back: ${this.droppedInput} bytes typed while it was down did not fit the ${INPUT_HELD_BYTES}-byte hold and were dropped`);
    this.droppedInput = 0;
  }

  /** The status line while the link is down: the reconnect attempt, and what typing is kept or dropped. */
  private linkDownText(): string {
    if (this.leaving !== undefined) return `[gritty] detaching from ${this.describe()}: telling the gritty server on ${printable(this.options.host)} (up to ${DETACH_REACH_MS / 1_000} s; ~. again leaves now)…`;
    const typing = this.droppedInput > 0 ? ` · typing: ${this.link.input.held} bytes kept, ${this.droppedInput} dropped` : '';
    return `[gritty] reconnecting to ${this.describe()}… (attempt ${this.attempt + 1}; ~. to detach)${typing}`;
  }

  private suspend(): void {
    const { terminal } = this.options;
    terminal.restore(true);
    process.once('SIGCONT', () => {
      terminal.enterRaw();
      this.conn?.send({ type: 'resize', ...terminal.size });
      this.conn?.send({ type: 'repaint' });
    });
    process.kill(process.pid, 'SIGTSTP');
  }

  private tick(): void {
    const conn = this.conn;
    const liveness = this.liveness;
    if (conn === undefined || liveness === undefined) return;
    const now = Date.now();
    switch (liveness.check(now)) {
      case 'dead':
        conn.socket.destroy();
        return;
      case 'probe':
        conn.send({ type: 'ping', ts: now, ack: this.link.acks() });
        liveness.probed(now);
        return;
      case 'ping':
        conn.send({ type: 'ping', ts: now, ack: this.link.acks() });
        liveness.sent(now);
        return;
      case 'ok':
        return;
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.retryNow = () => {
        this.retryNow = undefined;
        done();
      };
    });
  }

  private describe(): string {
    return printable(`${this.options.host}:${this.session?.name ?? '?'}`);
  }

  private statusText(): string {
    const { rendered } = this;
    return statusText({
      where: this.describe(),
      id: this.session?.id,
      connected: this.conn !== undefined,
      rttMs: this.rttMs,
      received: rendered.received,
      lost: rendered.lost,
      offset: rendered.offset,
    });
  }
}
