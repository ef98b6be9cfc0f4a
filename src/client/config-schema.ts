/**
 * The one schema of config.toml, as data: every key, its type, range, default and
 * meaning. The checker, the resolved settings, the config-edit template and the
 * README's key list all come from this table.
 */

export type KeyType =
  | { kind: 'bool' }
  | { kind: 'seconds'; min: number; max: number }
  | { kind: 'bytes'; min: number; max: number }
  | { kind: 'string' }
  | { kind: 'strings' };

export interface KeySpec {
  type: KeyType;
  /** The built-in value, in the file's own units (seconds, bytes). */
  default: boolean | number | string | readonly string[] | undefined;
  doc: string;
}

const SECOND = 1;
const HOUR = 3600 * SECOND;
const KIB = 1024;
const MIB = 1024 * KIB;

/** Keys of [defaults] and [host.<name>]: how sessions attach and forward. */
export const SESSION_KEYS = {
  'forward-agent': { type: { kind: 'bool' }, default: true, doc: 'forward your local ssh agent into the session' },
  'forward-open': { type: { kind: 'bool' }, default: true, doc: 'open URLs the session opens ($BROWSER) on this machine' },
  'forward-ports': { type: { kind: 'bool' }, default: true, doc: 'let gritty lf/rf in the session forward ports to and from this machine\'s loopback' },
  'no-escape': { type: { kind: 'bool' }, default: false, doc: 'pass ~ through untouched: no escape sequences' },
  'no-redraw': { type: { kind: 'bool' }, default: false, doc: 'on attach, show only new output instead of repainting the screen' },
  'oauth-redirect': { type: { kind: 'bool' }, default: true, doc: 'tunnel OAuth callbacks (redirect_uri=localhost:PORT) back to the session' },
  'oauth-timeout': { type: { kind: 'seconds', min: 1, max: HOUR }, default: 180, doc: 'seconds to wait for an OAuth callback' },
  // 1 s floor: faster pings only burn battery; 5 min ceiling: slower ones miss a dead link for too long
  'heartbeat-interval': { type: { kind: 'seconds', min: 1, max: 300 }, default: 5, doc: 'seconds between pings when the link is idle' },
  'heartbeat-timeout': { type: { kind: 'seconds', min: 2, max: HOUR }, default: 15, doc: 'seconds of silence before the link counts as dead (at least 2 x heartbeat-interval)' },
  // 64 KiB holds a screen or two; 256 MiB per session is already more than a small host should give
  'ring-buffer-size': { type: { kind: 'bytes', min: 64 * KIB, max: 256 * MIB }, default: MIB, doc: 'bytes of output history a new session keeps' },
  'oauth-tunnel-idle-timeout': { type: { kind: 'seconds', min: 1, max: HOUR }, default: 5, doc: 'seconds an idle OAuth callback tunnel stays open' },
  'open-command': { type: { kind: 'string' }, default: undefined, doc: 'program that opens forwarded URLs (default: xdg-open or open)' },
} as const satisfies Record<string, KeySpec>;

/** Keys of [defaults.connect] and [host.<name>.connect]: how the ssh tunnel is made. */
export const CONNECT_KEYS = {
  'ssh-options': { type: { kind: 'strings' }, default: [], doc: 'extra ssh -o options; command line first, then host, then defaults' },
  'no-server-start': { type: { kind: 'bool' }, default: false, doc: 'do not start the remote server; it must be running' },
  'ssh-command': { type: { kind: 'string' }, default: undefined, doc: 'the ssh program ($GRITTY_SSH wins over it)' },
  'remote-bin': { type: { kind: 'string' }, default: undefined, doc: 'the remote gritty ($GRITTY_REMOTE_BIN wins over it)' },
} as const satisfies Record<string, KeySpec>;

/** Keys only [host.<name>] has. */
export const HOST_ONLY_KEYS = {
  destination: { type: { kind: 'string' }, default: undefined, doc: 'what to ssh to for this connection name (default: the name itself)' },
} as const satisfies Record<string, KeySpec>;

export type SessionKey = keyof typeof SESSION_KEYS;
export type ConnectKey = keyof typeof CONNECT_KEYS;
export type HostOnlyKey = keyof typeof HOST_ONLY_KEYS;
export type Value = boolean | number | string | string[];

/** Heartbeat timeout must leave room for at least this many missed pings, or an idle link flaps. */
export const HEARTBEAT_MIN_RATIO = 2;

/** What went wrong in the file, with where, what was expected and what was found. */
export interface ConfigProblem {
  kind: 'unreadable' | 'syntax' | 'unknown-key' | 'wrong-type' | 'out-of-range' | 'incoherent';
  /** 1-based, when known. */
  line: number | undefined;
  /** The dotted key or table, e.g. defaults.heartbeat-interval. */
  key: string;
  expected: string;
  found: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `line ${p.line}: ` : '';
  switch (p.kind) {
    case 'unreadable':
    case 'syntax':
      return `${where}${p.found}, so none of it is used`;
    case 'unknown-key':
      return `${where}${p.key}: unknown ${p.found}; ${p.expected}`;
    case 'wrong-type':
      return `${where}${p.key}: wrong type: expected ${p.expected}, found ${p.found}`;
    case 'out-of-range':
      return `${where}${p.key}: out of range: expected ${p.expected}, found ${p.found}`;
    case 'incoherent':
      return `${where}${p.key}: ${p.found}; expected ${p.expected}`;
  }
}

export function expectedOf(type: KeyType): string {
  switch (type.kind) {
    case 'bool':
      return 'true or false';
    case 'seconds':
      return 'a number of seconds';
    case 'bytes':
      return 'a number of bytes';
    case 'string':
      return 'a non-empty string';
    case 'strings':
      return 'a list of strings';
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (value instanceof Date) return 'a date';
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? 'a list of strings' : 'a list with non-strings';
  if (typeof value === 'object' && value !== null) return 'a table';
  return String(value);
}

/** A checked value, or the problem with it (kind and what was expected, where and key filled in by the caller). */
export function checkValue(type: KeyType, value: unknown): { ok: Value } | { kind: 'wrong-type' | 'out-of-range'; expected: string } {
  switch (type.kind) {
    case 'bool':
      return typeof value === 'boolean' ? { ok: value } : { kind: 'wrong-type', expected: expectedOf(type) };
    case 'string':
      if (typeof value !== 'string') return { kind: 'wrong-type', expected: expectedOf(type) };
      return value.trim() !== '' ? { ok: value } : { kind: 'out-of-range', expected: expectedOf(type) };
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? { ok: [...value] } : { kind: 'wrong-type', expected: expectedOf(type) };
    case 'seconds':
    case 'bytes': {
      const n = typeof value === 'bigint' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return { kind: 'wrong-type', expected: expectedOf(type) };
      if (type.kind === 'bytes' && !Number.isInteger(n)) return { kind: 'wrong-type', expected: 'a whole number of bytes' };
      const unit = type.kind === 'seconds' ? 'seconds' : 'bytes';
      return n >= type.min && n <= type.max ? { ok: n } : { kind: 'out-of-range', expected: `${type.min} to ${type.max} ${unit}` };
    }
  }
}

/** The closest known key, for "did you mean": edit distance at most 2. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(key, k);
    if (d <= 2 && (best === undefined || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}
