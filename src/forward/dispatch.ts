import { isGrittyError } from '../relay/errors.js';
import { printable } from '../relay/printable.js';
import { gate, type Decider } from './gate.js';
import type { ChannelKind } from './policy.js';
import { refuse } from './params.js';
import type { RateLimits } from './rate-limit.js';
import type { AcceptChannel, ChannelAcceptor } from './seam.js';

export interface DispatchOptions<K extends ChannelKind> {
  decider: Decider;
  acceptors: Record<K, ChannelAcceptor>;
  limits: RateLimits;
  now: () => number;
  /** Told every refusal, with its reason, for the log. */
  onRefused: (kind: string, reason: string) => void;
}

/**
 * Gates each channel the peer opens by the policy table, then hands it to the
 * acceptor for its kind. Every refusal is reported; an acceptor's unexpected failure
 * is refused as an internal error rather than leaking its details to the peer.
 */
export function dispatcher<K extends ChannelKind>(options: DispatchOptions<K>): AcceptChannel {
  return async (kind, params) => {
    const verdict = gate(kind, options.decider, options.limits, options.now());
    try {
      if (!verdict.ok) throw refuse(verdict.reason);
      const acceptor = (options.acceptors as Partial<Record<ChannelKind, ChannelAcceptor>>)[verdict.kind];
      if (acceptor === undefined) throw refuse(`this side has no acceptor for ${verdict.kind} channels`);
      return await acceptor(params);
    } catch (err) {
      const refusal = isGrittyError(err, 'channel-refused') ? err : refuse(`internal error on the ${options.decider.side} side`, err);
      options.onRefused(printable(kind.slice(0, 64)), printable(refusal.message) + (refusal === err ? '' : `: ${printable(String(err))}`));
      throw refusal;
    }
  };
}
