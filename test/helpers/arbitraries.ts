import fc from 'fast-check';
import { MAX_NAME_CHARS, MAX_TERMINAL_DIMENSION, MESSAGE_SHAPES, MIN_TERMINAL_DIMENSION, type Message, type MessageType } from '../../src/relay/messages.js';

/**
 * fast-check arbitraries for the wire: every message type with valid fields (strings
 * full of control characters included, since they are valid on the wire and must be
 * escaped where shown), and values of the wrong type for a field of each kind.
 */

/**
 * Characters a hostile peer likes: C0, DEL, C1, ESC sequences, line separators, plain
 * text. No lone surrogates: the wire's strings are UTF-8, which cannot carry them. No
 * U+FEFF either: its loss at the start of a long string has its own test (test/relay/fuzz).
 */
const HOSTILE_UNITS = fc.oneof(
  fc.integer({ min: 0x00, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\x7f', '\x9b', '\x9d', '\x85', '\u2028', '\u2029'),
  fc.constantFrom('\x1b[2J', '\x1b]0;PWNED\x07', '\x1b[31m', '\x1bP+q\x1b\\', '\r\n2026-01-01T00:00:00.000Z 1 info forged'),
  fc.string({ maxLength: 4 }),
  fc.fullUnicodeString({ maxLength: 2 }),
);

/** A string of at most `maxChars` UTF-16 units, usually short and hostile, sometimes exactly at the limit. */
export function hostileString(maxChars: number, minChars = 0): fc.Arbitrary<string> {
  const short = fc
    .array(HOSTILE_UNITS, { maxLength: 12 })
    .map((parts) => fitted(parts, maxChars))
    .filter((s) => s.length >= minChars);
  const atLimit = HOSTILE_UNITS.filter((u) => u.length > 0 && u.length <= maxChars).map((u) => u.repeat(Math.floor(maxChars / u.length)));
  return fc.oneof({ arbitrary: short, weight: 6 }, { arbitrary: atLimit, weight: 1 });
}

/** Joins whole parts while they fit, so a surrogate pair is never cut in two. */
function fitted(parts: string[], maxChars: number): string {
  let out = '';
  for (const part of parts) if (out.length + part.length <= maxChars) out += part;
  return out;
}

/** A string that holds at least one control character, so it is never a valid session name or id. */
export function controlString(maxChars: number): fc.Arbitrary<string> {
  return fc
    .tuple(hostileString(maxChars - 1), fc.integer({ min: 0, max: 0x1f }), hostileString(maxChars - 1))
    .map(([a, c, b]) => fitted([String.fromCharCode(c), a, b], maxChars));
}

const uintArb = fc.oneof(fc.nat({ max: 1_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
const dimensionArb = fc.oneof(fc.integer({ min: MIN_TERMINAL_DIMENSION, max: MAX_TERMINAL_DIMENSION }), fc.constant(MAX_TERMINAL_DIMENSION));
const numArb = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x));
const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constant(new Uint8Array(0))).map((a) => Buffer.from(a));
const envKey = hostileString(32, 1).filter((k) => k !== '__proto__');

const specArb = fc.record(
  {
    name: hostileString(MAX_NAME_CHARS),
    command: hostileString(65_536),
    cwd: hostileString(4096),
    env: fc.dictionary(envKey, hostileString(8192), { maxKeys: 6 }),
    cols: dimensionArb,
    rows: dimensionArb,
  },
  { requiredKeys: ['env', 'cols', 'rows'] },
);

const infoArb = fc.record(
  {
    id: hostileString(32),
    name: hostileString(MAX_NAME_CHARS),
    pid: uintArb,
    createdAt: numArb,
    activeAt: numArb,
    attached: fc.boolean(),
    attachedBy: hostileString(256),
    foreground: hostileString(256),
    cols: dimensionArb,
    rows: dimensionArb,
    offset: uintArb,
  },
  { requiredKeys: ['id', 'name', 'pid', 'createdAt', 'activeAt', 'attached', 'cols', 'rows', 'offset'] },
);

const caps = fc.array(hostileString(64), { maxLength: 8 });
const channelAcks = fc.array(fc.record({ id: uintArb, offset: uintArb, eof: fc.boolean() }, { requiredKeys: ['id', 'offset'] }), { maxLength: 3 });
const acksArb = fc.record({ input: uintArb, channels: channelAcks }, { requiredKeys: [] });
const linkStateArb = fc.record({
  channels: fc.array(fc.record({ id: uintArb, open: fc.boolean(), recv: uintArb, eof: fc.boolean() }), { maxLength: 3 }),
  closed: fc.array(fc.record({ id: uintArb, reason: hostileString(256) }, { requiredKeys: ['id'] }), { maxLength: 3 }),
});
const paramsArb = fc.dictionary(hostileString(64, 1).filter((k) => k !== '__proto__'), fc.oneof(hostileString(4096), fc.boolean(), fc.integer()), { maxKeys: 4 });
const target = hostileString(256);

/** Field arbitraries of every message type, mirroring MESSAGE_SHAPES. */
const FIELDS: { [T in MessageType]: fc.Arbitrary<Omit<Extract<Message, { type: T }>, 'type'>> } = {
  hello: fc.record({ version: uintArb, caps, deviceId: hostileString(128), clientName: hostileString(256) }),
  'hello-ack': fc.record({ version: uintArb, caps, serverId: hostileString(128), pid: uintArb, startedAt: numArb }),
  error: fc.record({ code: hostileString(64), message: hostileString(4096) }),
  'kill-server': fc.constant({}),
  new: fc.record({ spec: specArb, attach: fc.boolean() }),
  attach: fc.record(
    {
      target,
      cols: dimensionArb,
      rows: dimensionArb,
      resume: fc.record({ token: hostileString(128), offset: uintArb, link: linkStateArb }, { requiredKeys: ['token', 'offset'] }),
      create: specArb,
      repaint: fc.boolean(),
      from: hostileString(32),
    },
    { requiredKeys: ['target', 'cols', 'rows', 'repaint'] },
  ),
  tail: fc.record({ target, from: fc.constantFrom('screen' as const, 'now' as const, 'history' as const) }),
  list: fc.constant({}),
  'kill-session': fc.record({ target }),
  rename: fc.record({ target, name: hostileString(MAX_NAME_CHARS) }),
  ok: fc.constant({}),
  created: fc.record({ session: infoArb }),
  sessions: fc.record({ sessions: fc.array(infoArb, { maxLength: 3 }) }),
  attached: fc.record({ session: infoArb, token: hostileString(128), offset: uintArb, lost: uintArb, input: uintArb, link: linkStateArb }, { requiredKeys: ['session', 'token', 'offset', 'lost'] }),
  snapshot: fc.record({ offset: uintArb, data: bytesArb, lost: uintArb }),
  output: fc.record({ offset: uintArb, data: bytesArb, ack: uintArb }, { requiredKeys: ['offset', 'data'] }),
  input: fc.record({ offset: uintArb, data: bytesArb }, { requiredKeys: ['data'] }),
  resize: fc.record({ cols: dimensionArb, rows: dimensionArb }),
  ping: fc.record({ ts: numArb, ack: acksArb }, { requiredKeys: ['ts'] }),
  pong: fc.record({ ts: numArb, ack: acksArb }, { requiredKeys: ['ts'] }),
  ack: acksArb,
  exit: fc.record({ code: fc.maxSafeInteger(), signal: uintArb }, { requiredKeys: ['code'] }),
  detach: fc.constant({}),
  repaint: fc.constant({}),
  detached: fc.record({ reason: fc.constantFrom('taken-over' as const, 'killed' as const, 'server-shutdown' as const, 'evicted' as const), by: hostileString(256) }, { requiredKeys: ['reason'] }),
  'svc-channel': fc.record({ kind: hostileString(32), params: paramsArb }),
  'ch-open': fc.record({ id: uintArb, kind: hostileString(32), params: paramsArb }),
  'ch-accept': fc.record({ id: uintArb }),
  'ch-data': fc.record({ id: uintArb, offset: uintArb, data: bytesArb }),
  'ch-eof': fc.record({ id: uintArb, offset: uintArb }),
  'ch-close': fc.record({ id: uintArb, reason: hostileString(256) }, { requiredKeys: ['id'] }),
};

export const MESSAGE_TYPES = Object.keys(MESSAGE_SHAPES) as MessageType[];

/** A valid message of `type`. */
export function messageOf<T extends MessageType>(type: T): fc.Arbitrary<Extract<Message, { type: T }>> {
  return (FIELDS[type] as fc.Arbitrary<object>).map((fields) => ({ type, ...fields }) as Extract<Message, { type: T }>);
}

/** A valid message of any type, or of one of `types`. */
export function anyMessage(types: readonly MessageType[] = MESSAGE_TYPES): fc.Arbitrary<Message> {
  return fc.constantFrom(...types).chain((type) => messageOf(type) as fc.Arbitrary<Message>);
}

/** What a field's checker takes; a value of another kind is refused. */
export type FieldKind = 'string' | 'uint' | 'number' | 'bool' | 'binary' | 'map' | 'array';

const EVERY_KIND: Record<FieldKind, fc.Arbitrary<unknown>> = {
  string: fc.string({ maxLength: 8 }),
  uint: fc.nat(),
  number: fc.double({ noNaN: true, noDefaultInfinity: true }),
  bool: fc.boolean(),
  binary: fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
  map: fc.dictionary(fc.string({ maxLength: 4 }).filter((k) => k !== '__proto__'), fc.nat(), { maxKeys: 3 }),
  array: fc.array(fc.nat(), { maxLength: 3 }),
};

/** What else a wrong value may be, beyond the other kinds: the near misses. */
const NEAR_MISSES: Partial<Record<FieldKind, fc.Arbitrary<unknown>>> = {
  uint: fc.oneof(fc.integer({ min: -1_000_000, max: -1 }), fc.double({ noNaN: true }).filter((x) => !Number.isInteger(x)), fc.constant(2 ** 64)),
  number: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
};

/**
 * A value a checker of `kind` must refuse. Numbers stand in for one another where the
 * checker accepts them (an unsigned integer is a number; nil is a missing key), so those are left out.
 */
export function wrongFor(kind: FieldKind): fc.Arbitrary<unknown> {
  const others = (Object.keys(EVERY_KIND) as FieldKind[]).filter((k) => k !== kind && !(kind === 'number' && k === 'uint'));
  // an unsigned integer checker takes a whole non-negative double: only fractions and negatives are wrong
  const arbs = others.map((k) => (kind === 'uint' && k === 'number' ? EVERY_KIND.number.filter((x) => !Number.isSafeInteger(x) || (x as number) < 0) : EVERY_KIND[k]));
  const near = NEAR_MISSES[kind];
  return fc.oneof(...arbs, ...(near === undefined ? [] : [near]));
}

/** A copy of `msg` with the field at `path` set to `value` (parents created as needed). */
export function withField(msg: object, path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(msg) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
  return copy;
}
