import { ChannelMux, type ChannelAcceptor } from '../relay/channel-mux.js';
import type { Connection } from '../relay/connection.js';
import { CHANNELS_CAPABILITY, type Acks, type LinkState, type Message, type MessageOf } from '../relay/messages.js';
import { InputSender } from './input-sender.js';

export interface ClientLinkEvents {
  /** Input went out and awaits its acknowledgement. */
  inputSent(): void;
  /** An acknowledgement of input came; `all` when nothing sent is unacknowledged. */
  inputSettled(all: boolean): void;
  /** Room for typed input opened up again after it was full. */
  inputRoom(): void;
}

/**
 * The client's end of the reliable link: typed input with offsets, resent after a
 * reconnect from where the session says it continues, and the client's channels,
 * which survive reconnects of this client.
 */
export class ClientLink {
  readonly input = new InputSender();
  readonly channels: ChannelMux;
  private conn: Connection | undefined;

  constructor(
    acceptor: ChannelAcceptor,
    private readonly events: ClientLinkEvents,
  ) {
    this.channels = new ChannelMux('laptop', acceptor);
  }

  /** What this side holds, sent with a resume. */
  state(): LinkState {
    return this.channels.state();
  }

  /** `conn` carries the session from now on, as `attached` says. */
  connect(conn: Connection, attached: MessageOf<'attached'>, serverCaps: readonly string[]): void {
    this.conn = conn;
    this.input.continueAt(attached.input ?? 0);
    if (serverCaps.includes(CHANNELS_CAPABILITY)) {
      this.channels.attachLink(conn);
      if (attached.link !== undefined) this.channels.resume(attached.link);
    }
    this.flush();
  }

  disconnect(): void {
    this.conn = undefined;
    this.channels.detachLink();
  }

  /** Takes typed bytes; returns how many were dropped because the held input is full. */
  type(data: Buffer): number {
    const dropped = this.input.write(data);
    this.flush();
    return dropped;
  }

  /** Acknowledgements to carry on a ping. */
  acks(): Acks | undefined {
    const channels = this.channels.takeAcks();
    return channels === undefined ? undefined : { channels };
  }

  /** Handles acknowledgements and channel frames (and the ack an output frame carries); false for anything else. */
  handle(msg: Message): boolean {
    switch (msg.type) {
      case 'output':
        if (msg.ack !== undefined) this.onInputAck(msg.ack);
        return false;
      case 'ack':
        if (msg.input !== undefined) this.onInputAck(msg.input);
        this.channels.onAcks(msg.channels);
        return true;
      case 'pong':
        if (msg.ack?.input !== undefined) this.onInputAck(msg.ack.input);
        this.channels.onAcks(msg.ack?.channels);
        return false;
      default:
        return this.channels.handle(msg);
    }
  }

  /** The client is done with the session: its channels end, both sides told why. */
  end(reason: string): void {
    this.channels.closeAll(reason);
  }

  private onInputAck(offset: number): void {
    const wasFull = this.input.full;
    this.input.ack(offset);
    this.events.inputSettled(!this.input.awaitingAck);
    this.flush();
    if (wasFull && !this.input.full) this.events.inputRoom();
  }

  private flush(): void {
    const conn = this.conn;
    if (conn === undefined || conn.isClosed) return;
    if (this.input.flush((offset, data) => conn.send({ type: 'input', offset, data }))) {
      this.channels.typing();
      this.events.inputSent();
    }
  }
}
