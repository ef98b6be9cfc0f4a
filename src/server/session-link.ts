import { ChannelMux, type ChannelAcceptor } from '../relay/channel-mux.js';
import type { Connection } from '../relay/connection.js';
import { GrittyError } from '../relay/errors.js';
import { CHANNELS_CAPABILITY, type LinkState, type Message } from '../relay/messages.js';
import { InputSink } from './input-sink.js';
import type { Pty } from './pty.js';

/** What a client that attaches afresh, rather than resuming, holds of the session's channels. */
const NOTHING_HELD: LinkState = { channels: [], closed: [] };

/**
 * The session's end of the reliable link with its attached client: terminal input
 * with offsets and acknowledgements, and the session's channels. Both outlive any
 * one connection: a client that reconnects resumes them; a takeover, detach or
 * eviction closes the channels with the reason.
 */
export class SessionLink {
  readonly input: InputSink;
  readonly channels: ChannelMux;
  private conn: Connection | undefined;
  private channelsOn = false;

  constructor(pty: Pty, acceptor: ChannelAcceptor) {
    this.input = new InputSink(pty, (offset) => this.conn?.send({ type: 'ack', input: offset }));
    this.channels = new ChannelMux('session', acceptor);
  }

  /** What goes into `attached`: where input continues, and (to a channel-capable client) the channels held. */
  offer(caps: readonly string[]): { input: number; link: LinkState | undefined } {
    return { input: this.input.received, link: caps.includes(CHANNELS_CAPABILITY) ? this.channels.state() : undefined };
  }

  /** `conn` is the client's from now on; `peer` is its channel state when it resumes. */
  connect(conn: Connection, caps: readonly string[], peer: LinkState | undefined): void {
    this.conn = conn;
    this.input.forgetReported();
    this.channelsOn = caps.includes(CHANNELS_CAPABILITY);
    if (!this.channelsOn) return;
    this.channels.attachLink(conn);
    // a fresh client holds no channel; one opened while it was attaching (between
    // `attach` and here the session awaits its screen) is announced to it now
    this.channels.resume(peer ?? NOTHING_HELD);
  }

  disconnect(conn: Connection): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.channels.detachLink();
  }

  /** Closes every channel, telling the client why. */
  end(reason: string): void {
    this.channels.closeAll(reason);
  }

  /** Handles input, acknowledgements and channel frames; false for anything else. Throws on a protocol violation. */
  handle(msg: Message): boolean {
    switch (msg.type) {
      case 'input':
        this.input.receive(msg.offset, msg.data);
        this.channels.typing();
        return true;
      case 'ping':
        this.channels.onAcks(msg.ack?.channels);
        this.conn?.send({ type: 'pong', ts: msg.ts, ack: this.acks() });
        return true;
      case 'pong':
        this.channels.onAcks(msg.ack?.channels);
        return true;
      case 'ack':
        this.channels.onAcks(msg.channels);
        return true;
      default:
        if (!this.channelsOn && msg.type.startsWith('ch-')) throw new GrittyError('bad-message', `${msg.type} from a client that did not list the channels capability`);
        return this.channels.handle(msg);
    }
  }

  private acks(): { input?: number; channels?: ReturnType<ChannelMux['takeAcks']> } | undefined {
    const input = this.input.takeAck();
    const channels = this.channels.takeAcks();
    return input === undefined && channels === undefined ? undefined : { input, channels };
  }
}
