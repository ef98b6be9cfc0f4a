import { arrayOf, bin, bool, clampedUint, int, num, object, oneOf, optional, str, stringMap, uint, type InferShape, type Shape } from './schema.js';
import { MAX_FRAME_BYTES } from './frame.js';

/**
 * Bump on any change that an older peer would misread. hello, hello-ack, error and
 * kill-server keep their shape across versions so that a mismatch can be reported
 * and an old daemon can still be stopped.
 */
export const PROTOCOL_VERSION = 1;

/** What this build's daemon offers; a client may rely only on what the peer lists. */
export const SERVER_CAPABILITIES = ['resume', 'screen-snapshot', 'tail', 'takeover-token'] as const;
export const CLIENT_CAPABILITIES = ['resume', 'screen-snapshot'] as const;

/** Largest terminal payload in one frame, leaving room for the envelope. */
export const MAX_DATA_BYTES = MAX_FRAME_BYTES - 1024;
export const MAX_NAME_CHARS = 64;
/**
 * Largest cols or rows a session takes; bigger sizes are clamped, not refused. The
 * headless emulator allocates every cell of the screen: 10 000 x 10 000 cost the
 * daemon over 1 GB, 1 000 x 1 000 about 10 MB.
 */
export const MAX_TERMINAL_DIMENSION = 1_000;

const dimension = clampedUint(MAX_TERMINAL_DIMENSION);
const target = str(256);

const sessionSpec = object({
  name: optional(str(MAX_NAME_CHARS)),
  command: optional(str(65_536)),
  cwd: optional(str(4096)),
  env: stringMap(256, 8192),
  cols: dimension,
  rows: dimension,
});

export const sessionInfo = object({
  id: str(32),
  name: str(MAX_NAME_CHARS),
  pid: uint(),
  createdAt: num(),
  activeAt: num(),
  attached: bool(),
  attachedBy: optional(str(256)),
  foreground: optional(str(256)),
  cols: dimension,
  rows: dimension,
  offset: uint(),
});

/** A session that ended lately: the daemon keeps a bounded list of these for an hour. */
export const exitedInfo = object({
  id: str(32),
  name: str(MAX_NAME_CHARS),
  exitedAt: num(),
  code: int(),
  signal: optional(uint()),
});

/** Every message, by its `type`. The TypeScript union below is derived from this table. */
export const MESSAGE_SHAPES = {
  // handshake (frozen across versions)
  hello: { version: uint(), caps: arrayOf(str(64), 64), deviceId: str(128), clientName: str(256) },
  'hello-ack': { version: uint(), caps: arrayOf(str(64), 64), serverId: str(128), pid: uint(), startedAt: num() },
  error: { code: str(64), message: str(4096) },
  'kill-server': {},

  // control requests and their replies
  new: { spec: sessionSpec, attach: bool() },
  attach: {
    target,
    cols: dimension,
    rows: dimension,
    resume: optional(object({ token: str(128), offset: uint() })),
    create: optional(sessionSpec),
    repaint: bool(),
  },
  tail: { target, from: oneOf('screen', 'now', 'history') },
  list: {},
  'kill-session': { target },
  rename: { target, name: str(MAX_NAME_CHARS) },
  ok: {},
  created: { session: sessionInfo },
  sessions: { sessions: arrayOf(sessionInfo, 100_000), exited: optional(arrayOf(exitedInfo, 1_000)) },

  // session stream
  attached: { session: sessionInfo, token: str(128), offset: uint(), lost: uint() },
  snapshot: { offset: uint(), data: bin(MAX_FRAME_BYTES), lost: uint() },
  output: { offset: uint(), data: bin(MAX_FRAME_BYTES) },
  input: { data: bin(MAX_FRAME_BYTES) },
  resize: { cols: dimension, rows: dimension },
  ping: { ts: num() },
  pong: { ts: num() },
  exit: { code: int(), signal: optional(uint()) },
  detach: {},
  repaint: {},
  detached: { reason: oneOf('taken-over', 'killed', 'server-shutdown', 'evicted'), by: optional(str(256)) },
} as const satisfies Record<string, Shape>;

export type MessageType = keyof typeof MESSAGE_SHAPES;
export type MessageOf<T extends MessageType> = { type: T } & InferShape<(typeof MESSAGE_SHAPES)[T]>;
export type Message = { [T in MessageType]: MessageOf<T> }[MessageType];

export type SessionSpec = ReturnType<typeof sessionSpec.parse>;
export type SessionInfo = ReturnType<typeof sessionInfo.parse>;
export type ExitedInfo = ReturnType<typeof exitedInfo.parse>;
export type DetachReason = MessageOf<'detached'>['reason'];
export type TailFrom = MessageOf<'tail'>['from'];
