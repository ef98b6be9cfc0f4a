import type { Duplex } from 'node:stream';
import { readParams, refuse, text } from '../forward/params.js';
import type { ChannelAcceptor, ChannelParams } from '../forward/seam.js';
import { oneOf } from '../relay/schema.js';

/** What the helper that asks does: `gritty send` or `gritty receive`. */
export type TransferRole = 'send' | 'receive';

/** The one-line description a helper gives of its transfer ("report.pdf", "3 files"), shown on the attached terminal. */
export const MAX_ABOUT_CHARS = 200;
/**
 * Helpers waiting on one side of one attached client. Each waiting session helper
 * holds a channel (two windows of memory); a handful covers any person's use, and a
 * runaway loop in the session is refused with a reason instead of piling up.
 */
export const MAX_WAITING = 8;

export interface TransferRequest {
  role: TransferRole;
  about: string;
}

/** A transfer request's params, checked: `role` of the asking helper and its `about` line. */
export function readTransferRequest(params: ChannelParams): TransferRequest {
  return readParams(params, { role: oneOf('send', 'receive'), about: text(MAX_ABOUT_CHARS) });
}

export function pairsWith(role: TransferRole): TransferRole {
  return role === 'send' ? 'receive' : 'send';
}

/** A helper in the session waiting, as the transfer channel its session opened to this client. */
export interface SessionWaiter extends TransferRequest {
  channel: Duplex;
}

/** A `gritty send`/`receive` run on the laptop, waiting on this client's attached socket. */
export interface LaptopWaiter extends TransferRequest {
  /**
   * Offers it `peer`: resolves true once the helper took it (its owner then joins the
   * two), false when the helper had gone or chose another session.
   */
  propose(peer: SessionWaiter): Promise<boolean>;
}

/**
 * The one place where transfers are paired, in the attached client (the laptop side):
 * helpers in the session arrive as `transfer` channels the session opens, helpers on
 * the laptop as connections to the attached socket. Whoever comes first waits here;
 * the first complementary arrival (send with receive) pairs with it, oldest first.
 * One matcher for both directions means two helpers started at once can never cross.
 */
export class TransferRoom {
  private readonly fromSession: SessionWaiter[] = [];
  private readonly onLaptop: LaptopWaiter[] = [];
  /** Each waiting channel's watchers of its helper giving up, removed when it pairs. */
  private readonly waitingChannels = new Map<SessionWaiter, () => void>();
  private closedBecause: string | undefined;

  /** Takes the `transfer` channels the session opens: they wait here until paired, or until their helper gives up. */
  readonly accept: ChannelAcceptor = async (params) => {
    const request = readTransferRequest(params);
    if (this.closedBecause !== undefined) throw refuse(this.closedBecause);
    if (this.fromSession.length >= MAX_WAITING) {
      throw refuse(`${MAX_WAITING} transfers from this session already wait for gritty ${pairsWith(request.role)} on the laptop; run it there, or stop some`);
    }
    return (channel) => this.arrive({ ...request, channel });
  };

  /** A laptop helper waits; returns what takes it out again (it went away). Throws a refusal when the room cannot take it. */
  wait(helper: LaptopWaiter): () => void {
    if (this.closedBecause !== undefined) throw refuse(this.closedBecause);
    if (this.onLaptop.length >= MAX_WAITING) throw refuse(`${MAX_WAITING} transfers already wait on this laptop for this session; stop some and try again`);
    this.onLaptop.push(helper);
    this.match();
    return () => remove(this.onLaptop, helper);
  }

  /** Helpers waiting on each side, for the client's log and tests. */
  get waiting(): { session: number; laptop: number } {
    return { session: this.fromSession.length, laptop: this.onLaptop.length };
  }

  /** No more pairing (the client ends); waiting channels end with the link, waiting helpers are closed by their owner. */
  close(reason: string): void {
    this.closedBecause = reason;
    for (const waiter of this.fromSession.splice(0)) waiter.channel.destroy(new Error(reason));
    this.onLaptop.length = 0;
  }

  private arrive(waiter: SessionWaiter): void {
    // a waiting channel is ended with a reason for the session's side; here nobody else listens for it
    waiter.channel.on('error', () => undefined);
    if (this.closedBecause !== undefined) {
      waiter.channel.destroy(new Error(this.closedBecause));
      return;
    }
    // a waiting helper sends nothing: its end (EOF) or any byte means it gave up or broke the order
    const { channel } = waiter;
    const onReadable = (): void => {
      if (channel.read() !== null) channel.destroy(new Error('the session sent data before the transfer was paired'));
    };
    const gone = (): void => {
      remove(this.fromSession, waiter);
      channel.destroy();
    };
    channel.on('readable', onReadable);
    channel.once('end', gone);
    channel.once('close', gone);
    this.waitingChannels.set(waiter, () => {
      channel.off('readable', onReadable);
      channel.off('end', gone);
      channel.off('close', gone);
    });
    this.fromSession.push(waiter);
    this.match();
  }

  private match(): void {
    for (const waiter of [...this.fromSession]) {
      const helper = this.onLaptop.find((h) => h.role === pairsWith(waiter.role));
      if (helper === undefined) continue;
      remove(this.fromSession, waiter);
      remove(this.onLaptop, helper);
      this.waitingChannels.get(waiter)?.();
      this.waitingChannels.delete(waiter);
      void this.pair(waiter, helper);
    }
  }

  private async pair(waiter: SessionWaiter, helper: LaptopWaiter): Promise<void> {
    const took = await helper.propose(waiter).catch(() => false);
    if (took || waiter.channel.destroyed || this.closedBecause !== undefined) return;
    // that helper went elsewhere: the session's helper waits on
    this.arrive(waiter);
  }
}

function remove<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}
