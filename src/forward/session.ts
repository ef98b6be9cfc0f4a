import { dispatcher } from './dispatch.js';
import { oauthCallbackAcceptor } from './open/callback.js';
import type { KindsOpenedBy } from './policy.js';
import { rfConnAcceptor, type RemoteForwardTargets } from './port/rf.js';
import { RateLimits } from './rate-limit.js';
import type { AcceptChannel, ChannelAcceptor } from './seam.js';

export interface SessionForwardOptions {
  /** The session's active `gritty rf` targets (shared with startRemoteForward). */
  targets: RemoteForwardTargets;
  /** Every refusal, for the daemon's log. */
  log: (line: string) => void;
  now?: () => number;
}

/** The session host's side: accepts the channels the laptop opens into the session. */
export function sessionForwarding(options: SessionForwardOptions): AcceptChannel {
  const now = options.now ?? Date.now;
  const acceptors: Record<KindsOpenedBy<'laptop'>, ChannelAcceptor> = {
    'oauth-callback': oauthCallbackAcceptor(),
    'rf-conn': rfConnAcceptor(options.targets),
  };
  return dispatcher({
    decider: { side: 'session' },
    acceptors,
    limits: new RateLimits(now()),
    now,
    onRefused: (kind, reason) => options.log(`refused a ${kind} channel from the laptop: ${reason}`),
  });
}
