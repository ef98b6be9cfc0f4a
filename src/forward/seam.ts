import type { Duplex } from 'node:stream';
import type { ChannelKind } from './policy.js';

/**
 * The seam between the forwarding halves and the session link (src/relay's channel
 * mux). A forwarding half only ever sees these two functions and byte streams; it
 * never sees frames, offsets or reconnects.
 *
 * Params cross the wire from a peer that may be hostile: every acceptor validates
 * them (src/forward/params.ts) before it acts on them.
 */
export type ChannelParams = Record<string, string | number | boolean>;

/**
 * Opens a channel of `kind` to the other end of the session; resolves to its byte
 * stream (end() = EOF, destroy(err) = close with a reason), or rejects with
 * GrittyError('channel-refused', reason) when the other side refuses or nobody is
 * attached.
 */
export type OpenChannel = (kind: ChannelKind, params: ChannelParams) => Promise<Duplex>;

/**
 * Decides on a channel the other side opened: resolve with a taker of the stream (the
 * channel is accepted then), or reject with GrittyError('channel-refused',
 * reason-for-the-opener).
 */
export type ChannelAcceptor = (params: ChannelParams) => Promise<(stream: Duplex) => void>;

/**
 * What the mux calls when the peer opens a channel: `kind` is as it came off the wire
 * (unchecked). The laptop's and the session's dispatchers (laptop.ts, session.ts) gate
 * it by the policy table and hand it to the kind's acceptor.
 */
export type AcceptChannel = (kind: string, params: ChannelParams) => Promise<(stream: Duplex) => void>;
