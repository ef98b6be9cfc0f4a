import type { Duplex } from 'node:stream';
import { Channel, type ChannelCarrier, type ChannelParams } from './channel.js';
import { GrittyError } from './errors.js';
import { MAX_CHANNELS, MAX_CLOSED_CHANNELS, MAX_REASON_CHARS, type Acks, type LinkState, type Message, type MessageOf } from './messages.js';

/**
 * Bytes one channel may have unacknowledged in each direction: its flow-control window
 * and its resend buffer. With acknowledgements sent at half a window this keeps a
 * loopback-fast ssh hop busy, while memory stays at two windows per channel.
 */
export const CHANNEL_WINDOW_BYTES = 256 * 1024;
/**
 * Channel bytes in flight across all channels of a link. One `ssh -L` channel has a
 * 2 MiB window: everything we send beyond what the far side consumed waits inside ssh,
 * where a keystroke queues behind it. Half a megabyte is about 15 ms at 30 MB/s.
 */
export const LINK_IN_FLIGHT_BYTES = 512 * 1024;
/**
 * Channel bytes in flight across the link while someone types. A keystroke goes the
 * same way as an lf stream (an echo the same way as an rf stream) and waits behind
 * every channel byte in flight inside the sockets, ssh and sshd: half a megabyte is
 * ~15 ms at 30 MB/s, which was the median echo delay beside a saturated forward. Two
 * chunks keep a forward moving while holding a keystroke back by about 2 ms.
 */
export const TYPING_IN_FLIGHT_BYTES = 64 * 1024;
/** Input this recent counts as typing: the next keystroke, or this one's echo, is near. */
const TYPING_HOLD_MS = 1_000;
/** Largest ch-data frame. Small chunks interleave with keystrokes and output. */
export const CHANNEL_CHUNK_BYTES = 32 * 1024;
/** An acknowledgement below half a window waits this long for a frame to ride on. */
const ACK_DELAY_MS = 5;

/** The connection as the multiplexer sees it: control frames go at once, bulk data only while it is not backed up. */
export interface ChannelLink {
  send(msg: Message): void;
  bulkReady(): boolean;
  whenBulkReady(callback: () => void): void;
}

/**
 * Decides on a channel the peer asked for: resolves with a taker of the stream, or
 * rejects (a GrittyError's message is the reason the opener is told).
 */
export type ChannelAcceptor = (kind: string, params: ChannelParams) => Promise<(stream: Duplex) => void>;

export type MuxSide = 'session' | 'laptop';

/**
 * Every channel of one session, on one side. Channels belong to the session, not to
 * the connection: a link comes and goes (`attachLink`/`detachLink`), and after a
 * reconnect each side's `state()` tells the other where to resend from. Knows nothing
 * of channel kinds: what to accept is the acceptor's business.
 *
 * Ids are split by side so both can open at once: the session side opens odd ids, the
 * laptop side even ones.
 */
export class ChannelMux implements ChannelCarrier {
  private readonly channels = new Map<number, Channel>();
  private readonly opening = new Map<number, { resolve: (stream: Duplex) => void; reject: (err: Error) => void }>();
  private readonly closed: { id: number; reason?: string }[] = [];
  private nextId: number;
  private link: ChannelLink | undefined;
  private waitingForBulk = false;
  private ackTimer: NodeJS.Timeout | undefined;
  /** Round-robin position: the id after which the next data turn starts. */
  private lastServed = -1;
  /** Until when channel data in flight is held to TYPING_IN_FLIGHT_BYTES. */
  private typingUntil = 0;

  constructor(
    private readonly side: MuxSide,
    private readonly acceptor: ChannelAcceptor,
  ) {
    this.nextId = side === 'session' ? 1 : 2;
  }

  get size(): number {
    return this.channels.size;
  }

  /** Opens a channel; resolves once the peer accepts, rejects with `channel-refused` and its reason. */
  open(kind: string, params: ChannelParams): Promise<Duplex> {
    if (this.channels.size >= MAX_CHANNELS) {
      return Promise.reject(new GrittyError('channel-refused', `too many channels open (${MAX_CHANNELS})`));
    }
    const id = this.allocateId();
    const channel = new Channel(id, kind, params, 'opening', CHANNEL_WINDOW_BYTES, this);
    this.channels.set(id, channel);
    this.link?.send({ type: 'ch-open', id, kind, params });
    return new Promise((resolve, reject) => this.opening.set(id, { resolve, reject }));
  }

  attachLink(link: ChannelLink): void {
    this.link = link;
    this.waitingForBulk = false;
  }

  detachLink(): void {
    this.link = undefined;
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }

  /** Handles a channel frame or acknowledgement; false for any other message. */
  handle(msg: Message): boolean {
    switch (msg.type) {
      case 'ch-open':
        this.onOpen(msg);
        return true;
      case 'ch-accept':
        this.onAccept(msg.id);
        return true;
      case 'ch-data':
        this.known(msg.id)?.deliver(msg.offset, msg.data);
        this.pump();
        return true;
      case 'ch-eof':
        this.known(msg.id)?.deliverEof(msg.offset);
        return true;
      case 'ch-close':
        this.onClose(msg.id, msg.reason);
        return true;
      case 'ack':
        this.onAcks(msg.channels);
        return true;
      default:
        return false;
    }
  }

  onAcks(acks: Acks['channels']): void {
    for (const ack of acks ?? []) {
      const channel = this.channels.get(ack.id);
      if (channel?.phase === 'open') channel.onAck(ack.offset, ack.eof === true);
    }
    this.pump();
  }

  /** Terminal input just went by (sent on the laptop, received in the session): hold channel data back for a while. */
  typing(nowMs: number = Date.now()): void {
    this.typingUntil = nowMs + TYPING_HOLD_MS;
  }

  private isTyping(): boolean {
    return this.typingUntil > 0 && Date.now() < this.typingUntil;
  }

  /** What this side holds, for the peer to resend from after a reconnect. */
  state(): LinkState {
    const channels = [...this.channels.values()]
      .filter((ch) => ch.phase !== 'opening')
      .map((ch) => ({ id: ch.id, open: ch.phase === 'open', recv: ch.in.received, eof: ch.eofIn !== undefined }));
    return { channels, closed: [...this.closed] };
  }

  /** Takes the peer's state after a reconnect: resends what it lacks, learns what it closed or accepted. */
  resume(peer: LinkState): void {
    const theirs = new Map(peer.channels.map((entry) => [entry.id, entry]));
    const closedThere = new Map(peer.closed.map((entry) => [entry.id, entry.reason]));
    for (const channel of [...this.channels.values()]) {
      const entry = theirs.get(channel.id);
      if (entry === undefined) {
        if (closedThere.has(channel.id)) this.closeFromPeer(channel, closedThere.get(channel.id) ?? 'closed');
        else if (channel.phase === 'opening') this.link?.send({ type: 'ch-open', id: channel.id, kind: channel.kind, params: channel.params });
        else if (channel.phase === 'open') this.closeFromPeer(channel, 'the other side lost this channel across a reconnect');
        continue;
      }
      if (channel.phase === 'opening' && entry.open) this.onAccept(channel.id);
      if (channel.phase !== 'open') continue;
      try {
        channel.out.rewind(entry.recv);
      } catch (err) {
        channel.destroy(err as Error);
        continue;
      }
      if (channel.eofOut === 'sent' && !entry.eof) channel.eofOut = 'pending';
    }
    // an acknowledgement sent just before the link died may never have arrived: say it again,
    // or a peer whose window it would have opened waits for it forever
    for (const channel of this.channels.values()) channel.reported = { offset: -1, eof: false };
    this.flushAcks();
    this.pump();
  }

  /** Ends every channel, telling both ends why: a takeover, a detach, an eviction. */
  closeAll(reason: string): void {
    for (const channel of [...this.channels.values()]) {
      this.link?.send({ type: 'ch-close', id: channel.id, reason });
      this.closeFromPeer(channel, reason);
    }
    this.closed.length = 0;
  }

  /** Acknowledgements due, taken for a frame about to be sent (a ping, a pong). */
  takeAcks(): Acks['channels'] {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const due: NonNullable<Acks['channels']> = [];
    for (const channel of this.channels.values()) {
      if (channel.phase !== 'open') continue;
      const offset = channel.consumedOffset;
      const eof = channel.eofConsumed;
      if (offset === channel.reported.offset && eof === channel.reported.eof) continue;
      channel.reported = { offset, eof };
      due.push({ id: channel.id, offset, eof: eof || undefined });
    }
    return due.length === 0 ? undefined : due;
  }

  // ChannelCarrier

  wake(): void {
    this.pump();
  }

  consumed(channel: Channel): void {
    if (channel.phase !== 'open' || this.link === undefined) return;
    const unreported = channel.consumedOffset - channel.reported.offset;
    // while typing the sender holds only TYPING_IN_FLIGHT_BYTES in flight: acknowledging at
    // half a window would leave it waiting for ACK_DELAY_MS each turn
    const due = this.isTyping() ? TYPING_IN_FLIGHT_BYTES / 2 : CHANNEL_WINDOW_BYTES / 2;
    if (unreported >= due || (channel.eofConsumed && !channel.reported.eof)) this.flushAcks();
    else if (unreported > 0) this.ackTimer ??= setTimeout(() => this.flushAcks(), ACK_DELAY_MS);
  }

  closedHere(channel: Channel, reason: string | undefined): void {
    if (this.channels.get(channel.id) !== channel) return;
    this.flushAcks();
    this.forget(channel, reason);
    this.link?.send({ type: 'ch-close', id: channel.id, reason: reason?.slice(0, MAX_REASON_CHARS) });
  }

  private flushAcks(): void {
    const channels = this.takeAcks();
    if (channels !== undefined) this.link?.send({ type: 'ack', channels });
  }

  /** Sends channel data, a chunk per channel in turn, while the connection is not backed up. */
  private pump(): void {
    const link = this.link;
    if (link === undefined || this.waitingForBulk) return;
    let inFlight = 0;
    for (const channel of this.channels.values()) inFlight += channel.out.inFlight;
    // once typing stops, the next acknowledgement's pump opens the link up again
    const linkCap = this.isTyping() ? TYPING_IN_FLIGHT_BYTES : LINK_IN_FLIGHT_BYTES;
    for (;;) {
      if (!link.bulkReady()) {
        this.waitingForBulk = true;
        link.whenBulkReady(() => {
          this.waitingForBulk = false;
          this.pump();
        });
        return;
      }
      let sentAny = false;
      for (const channel of this.turnOrder()) {
        if (channel.phase !== 'open') continue;
        const room = Math.min(CHANNEL_CHUNK_BYTES, channel.out.capacity - channel.out.inFlight, linkCap - inFlight);
        if (channel.out.hasUnsent && room > 0) {
          const chunk = channel.out.takeUnsent(room)!;
          inFlight += chunk.data.length;
          link.send({ type: 'ch-data', id: channel.id, offset: chunk.offset, data: chunk.data });
          this.lastServed = channel.id;
          sentAny = true;
          if (!link.bulkReady()) break;
        }
        if (!channel.out.hasUnsent && channel.eofOut === 'pending') {
          channel.eofOut = 'sent';
          link.send({ type: 'ch-eof', id: channel.id, offset: channel.out.end });
        }
      }
      if (!sentAny) return;
    }
  }

  /** Channels starting after the one served last, so a busy channel cannot starve the others. */
  private turnOrder(): Channel[] {
    const all = [...this.channels.values()];
    const next = all.findIndex((ch) => ch.id > this.lastServed);
    return next <= 0 ? all : [...all.slice(next), ...all.slice(0, next)];
  }

  private onOpen(msg: MessageOf<'ch-open'>): void {
    const peerOpens = msg.id % 2 === (this.side === 'session' ? 0 : 1);
    if (!peerOpens) throw new GrittyError('bad-message', `channel id ${msg.id} belongs to this side's numbering`);
    if (this.channels.has(msg.id)) return;
    if (this.channels.size >= MAX_CHANNELS) {
      this.link?.send({ type: 'ch-close', id: msg.id, reason: `too many channels open (${MAX_CHANNELS})` });
      return;
    }
    const channel = new Channel(msg.id, msg.kind, msg.params, 'accepting', CHANNEL_WINDOW_BYTES, this);
    this.channels.set(msg.id, channel);
    this.acceptor(msg.kind, msg.params).then(
      (take) => {
        if (this.channels.get(msg.id) !== channel) return;
        channel.phase = 'open';
        this.link?.send({ type: 'ch-accept', id: msg.id });
        take(channel);
        this.pump();
      },
      (err: unknown) => {
        if (this.channels.get(msg.id) !== channel) return;
        const reason = (err instanceof Error ? err.message : String(err)).slice(0, MAX_REASON_CHARS);
        this.forget(channel, reason);
        this.link?.send({ type: 'ch-close', id: msg.id, reason });
        channel.closeFromPeer(undefined);
      },
    );
  }

  private onAccept(id: number): void {
    const channel = this.channels.get(id);
    const waiter = this.opening.get(id);
    if (channel?.phase !== 'opening' || waiter === undefined) return;
    channel.phase = 'open';
    this.opening.delete(id);
    waiter.resolve(channel);
  }

  private onClose(id: number, reason: string | undefined): void {
    const channel = this.channels.get(id);
    if (channel === undefined) return;
    this.closeFromPeer(channel, reason);
  }

  private closeFromPeer(channel: Channel, reason: string | undefined): void {
    this.forget(channel, reason);
    const waiter = this.opening.get(channel.id);
    if (waiter !== undefined) {
      this.opening.delete(channel.id);
      waiter.reject(new GrittyError('channel-refused', reason ?? 'the other side closed the channel'));
    }
    // a stream never handed out has nobody to tell: it just ends
    channel.closeFromPeer(channel.phase === 'open' ? reason : undefined);
  }

  private forget(channel: Channel, reason: string | undefined): void {
    this.channels.delete(channel.id);
    this.closed.push({ id: channel.id, reason: reason?.slice(0, MAX_REASON_CHARS) });
    if (this.closed.length > MAX_CLOSED_CHANNELS) this.closed.shift();
  }

  private known(id: number): Channel | undefined {
    const channel = this.channels.get(id);
    return channel?.phase === 'open' ? channel : undefined;
  }

  private allocateId(): number {
    while (this.channels.has(this.nextId)) this.nextId += 2;
    const id = this.nextId;
    this.nextId += 2;
    return id;
  }
}
