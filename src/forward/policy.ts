/**
 * The one policy table: every channel kind, which side may open it, which laptop
 * switch (a flag and config key of the same name) turns it off, and how fast it may
 * be opened. The mux and the acceptors read this table; nothing else decides.
 *
 * 'session' is the daemon's side (programs in the session asked for it), 'laptop' is
 * the attached client's side. The laptop decides everything that reaches into the
 * laptop: its switches are checked when the laptop accepts a channel, and a kind the
 * laptop opens exists only because the laptop accepted something gated first.
 */
export type Side = 'session' | 'laptop';

/** Laptop switches; each is a CLI flag (--no-<name>) and a config key of that name. */
export type Switch = 'forward-agent' | 'forward-open' | 'oauth-redirect' | 'forward-ports';
export type Switches = Readonly<Record<Switch, boolean>>;

export const SWITCHES_ON: Switches = { 'forward-agent': true, 'forward-open': true, 'oauth-redirect': true, 'forward-ports': true };

/** A token bucket: `burst` opens at once, then `opens` more every `perMs`. */
export interface RateLimit {
  burst: number;
  opens: number;
  perMs: number;
}

export interface ChannelPolicy {
  opener: Side;
  /** All must be on (on the laptop) for the kind to be used. */
  switches: readonly Switch[];
  rate: RateLimit;
}

const SECOND_MS = 1_000;

export const POLICY = {
  // one per ssh/git command; a parallel fan-out opens a handful at once, a runaway loop is capped
  agent: { opener: 'session', switches: ['forward-agent'], rate: { burst: 32, opens: 8, perMs: SECOND_MS } },
  // each one is a browser tab on the laptop: a few at once, then one every 5 s
  'open-url': { opener: 'session', switches: ['forward-open'], rate: { burst: 4, opens: 1, perMs: 5 * SECOND_MS } },
  // browser connections to a callback listener the laptop made for a URL it opened
  'oauth-callback': { opener: 'laptop', switches: ['forward-open', 'oauth-redirect'], rate: { burst: 16, opens: 4, perMs: SECOND_MS } },
  // one per TCP connection; connection pools and page loads open dozens at once
  'lf-conn': { opener: 'session', switches: ['forward-ports'], rate: { burst: 128, opens: 64, perMs: SECOND_MS } },
  // each one binds a port on the laptop
  'rf-listen': { opener: 'session', switches: ['forward-ports'], rate: { burst: 8, opens: 1, perMs: SECOND_MS } },
  'rf-conn': { opener: 'laptop', switches: ['forward-ports'], rate: { burst: 128, opens: 64, perMs: SECOND_MS } },
  // one per `gritty send`/`receive` run in the session, in either direction (params say which);
  // no switch: nothing moves until a person on the laptop runs the other half there
  transfer: { opener: 'session', switches: [], rate: { burst: 8, opens: 2, perMs: SECOND_MS } },
} as const satisfies Record<string, ChannelPolicy>;

export type ChannelKind = keyof typeof POLICY;

export const CHANNEL_KINDS = Object.keys(POLICY) as ChannelKind[];

export function isChannelKind(kind: string): kind is ChannelKind {
  return Object.hasOwn(POLICY, kind);
}

/** The side that accepts (and so decides on) channels of `kind`. */
export function acceptorOf(kind: ChannelKind): Side {
  return POLICY[kind].opener === 'session' ? 'laptop' : 'session';
}

/** The kinds `side` opens (and so the other side accepts). */
export type KindsOpenedBy<S extends Side> = { [K in ChannelKind]: (typeof POLICY)[K]['opener'] extends S ? K : never }[ChannelKind];
