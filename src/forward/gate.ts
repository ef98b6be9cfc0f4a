import { printable } from '../relay/printable.js';
import { acceptorOf, isChannelKind, POLICY, type ChannelKind, type Switches } from './policy.js';
import type { RateLimits } from './rate-limit.js';

/** Who is deciding: the laptop decides by its switches; the session host has none of its own. */
export type Decider = { side: 'laptop'; switches: Switches } | { side: 'session' };

export type GateResult = { ok: true; kind: ChannelKind } | { ok: false; reason: string };

const FLAG_HINT: Record<string, string> = {
  'forward-agent': 'gritty attach -A, or forward-agent = true in the config',
  'forward-open': 'gritty attach -O, or forward-open = true in the config',
  'oauth-redirect': 'oauth-redirect = true in the config',
  'forward-ports': 'forward-ports = true in the config',
};

/**
 * Decides whether the peer may open a channel of `kind` here, by the policy table:
 * the kind must exist, be opened by the other side, be switched on (on the laptop)
 * and be within its rate limit. A refusal reason is for the opener and for the log.
 */
export function gate(kind: string, decider: Decider, limits: RateLimits, nowMs: number): GateResult {
  if (!isChannelKind(kind)) return { ok: false, reason: `unknown channel kind "${printable(kind.slice(0, 64))}"` };
  if (acceptorOf(kind) !== decider.side) {
    return { ok: false, reason: `a ${kind} channel may only be opened by the ${POLICY[kind].opener} side, not by the ${decider.side === 'laptop' ? 'session' : 'laptop'}` };
  }
  if (decider.side === 'laptop') {
    const off = POLICY[kind].switches.find((name) => !decider.switches[name]);
    if (off !== undefined) return { ok: false, reason: `${off} is off on the laptop (to allow it: ${FLAG_HINT[off]})` };
  }
  const bucket = limits.bucket(kind);
  if (!bucket.take(nowMs)) {
    const { burst, opens, perMs } = POLICY[kind].rate;
    return { ok: false, reason: `too many ${kind} channels (limit: ${burst} at once, then ${opens} per ${perMs / 1000} s); try again in ${Math.ceil(bucket.waitMs() / 1000)} s` };
  }
  return { ok: true, kind };
}
