import { agentAcceptor } from './agent/laptop-side.js';
import { dispatcher } from './dispatch.js';
import { openUrlAcceptor } from './open/laptop-side.js';
import { OAuthListeners, type OAuthTimeouts } from './open/oauth-listener.js';
import type { KindsOpenedBy, Switches } from './policy.js';
import { refuse } from './params.js';
import { lfConnAcceptor } from './port/lf.js';
import { rfListenAcceptor } from './port/rf.js';
import { RateLimits } from './rate-limit.js';
import type { AcceptChannel, ChannelAcceptor, OpenChannel } from './seam.js';

export interface LaptopForwardOptions {
  switches: Switches;
  /** The laptop's own $SSH_AUTH_SOCK, where agent channels go. */
  agentSocket: string | undefined;
  /** The config's open-command; undefined opens the default browser. */
  openCommand: string | undefined;
  oauth: OAuthTimeouts;
  /** Opens channels toward the session (OAuth callbacks, remote-forward connections). */
  open: OpenChannel;
  /** Every refusal, for the client's log. */
  log: (line: string) => void;
  /** Takes `transfer` channels: pairs them with `gritty send`/`receive` run on the laptop (src/client); without it they are refused. */
  transfer?: ChannelAcceptor;
  now?: () => number;
}

export interface LaptopForwarding {
  /** What the mux calls when the session opens a channel. */
  accept: AcceptChannel;
  /** Closes every listener the session made the laptop open (on detach or takeover). */
  close(): Promise<void>;
}

/** The laptop's side of forwarding: one attached client's gates, rate limits and listeners. */
export function laptopForwarding(options: LaptopForwardOptions): LaptopForwarding {
  const now = options.now ?? Date.now;
  const oauth = new OAuthListeners(options.open, options.oauth, options.log);
  const rfListeners = new Set<() => Promise<void>>();
  const track = (close: () => Promise<void>): (() => void) => {
    rfListeners.add(close);
    return () => rfListeners.delete(close);
  };
  const acceptors: Record<KindsOpenedBy<'session'>, ChannelAcceptor> = {
    agent: agentAcceptor(options.agentSocket),
    'open-url': openUrlAcceptor({ openCommand: options.openCommand, oauth: options.switches['oauth-redirect'] ? oauth : undefined }),
    'lf-conn': lfConnAcceptor(),
    'rf-listen': rfListenAcceptor({ open: options.open, track, log: options.log }),
    transfer: options.transfer ?? (() => Promise.reject(refuse('this laptop side pairs no file transfers'))),
  };
  return {
    accept: dispatcher({
      decider: { side: 'laptop', switches: options.switches },
      acceptors,
      limits: new RateLimits(now()),
      now,
      onRefused: (kind, reason) => options.log(`refused a ${kind} channel from the session: ${reason}`),
    }),
    close: async () => {
      await Promise.all([oauth.close(), ...[...rfListeners].map((close) => close())]);
      rfListeners.clear();
    },
  };
}
