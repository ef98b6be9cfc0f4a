import { arrayOf, bin, bool, clampedUint, int, num, object, oneOf, optional, scalarMap, str, stringMap, uint, type InferShape, type Shape } from './schema.js';
import { MAX_FRAME_BYTES } from './frame.js';

/**
 * Bump on any change that an older peer would misread. hello, hello-ack, error and
 * kill-server keep their shape across versions so that a mismatch can be reported
 * and an old daemon can still be stopped.
 */
export const PROTOCOL_VERSION = 2;

/** What this build's daemon offers; a client may rely only on what the peer lists. */
export const SERVER_CAPABILITIES = ['resume', 'screen-snapshot', 'tail', 'takeover-token', 'link', 'channels'] as const;
export const CLIENT_CAPABILITIES = ['resume', 'screen-snapshot', 'link', 'channels'] as const;
/** The capability without which a peer is never sent a channel frame. */
export const CHANNELS_CAPABILITY = 'channels';

/** Largest terminal payload in one frame, leaving room for the envelope. */
export const MAX_DATA_BYTES = MAX_FRAME_BYTES - 1024;
export const MAX_NAME_CHARS = 64;
export const MAX_SESSION_ID_CHARS = 32;
/**
 * Largest cols or rows a session takes; bigger sizes are clamped, not refused. The
 * headless emulator allocates every cell of the screen: 10 000 x 10 000 cost the
 * daemon over 1 GB, 1 000 x 1 000 about 10 MB.
 */
export const MAX_TERMINAL_DIMENSION = 1_000;
/**
 * Smallest cols or rows a session takes; smaller sizes (a terminal that reports 0x0)
 * are raised to it. 2 is the headless emulator's own minimum width, so the PTY and the
 * screen the daemon keeps of it always agree.
 */
export const MIN_TERMINAL_DIMENSION = 2;
/** Who holds a session (`attachedBy`, `detached.by`): the client's name and its device. */
export const MAX_CLIENT_LABEL_CHARS = 256;
/** A process name as `list` shows it (`foreground`). */
export const MAX_PROCESS_NAME_CHARS = 256;
/** The text of an `error` frame. */
export const MAX_ERROR_CHARS = 4096;

/**
 * Terminal input a client may have sent and not had acknowledged: the session holds at
 * most this much for a PTY whose program is not reading, whatever the client sends.
 */
export const INPUT_WINDOW_BYTES = 256 * 1024;
/** Largest ch-data payload; smaller than output frames so bulk data never holds a keystroke up for long. */
export const MAX_CHANNEL_CHUNK_BYTES = 64 * 1024;
/** Channels open at once on one session; each holds at most a window of memory per direction. */
export const MAX_CHANNELS = 128;
/** Recently closed channels a peer remembers, so a resume can tell the other side how they ended. */
export const MAX_CLOSED_CHANNELS = 64;
export const MAX_REASON_CHARS = 256;

/** A session's output history, when its client asks for a size (config ring-buffer-size): clamped to these. */
export const MIN_RING_BYTES = 64 * 1024;
export const MAX_RING_BYTES = 256 * 1024 * 1024;

const dimension = clampedUint(MAX_TERMINAL_DIMENSION, MIN_TERMINAL_DIMENSION);
const target = str(256);

const sessionSpec = object({
  name: optional(str(MAX_NAME_CHARS)),
  command: optional(str(65_536)),
  cwd: optional(str(4096)),
  env: stringMap(256, 8192),
  cols: dimension,
  rows: dimension,
  ringBytes: optional(clampedUint(MAX_RING_BYTES, MIN_RING_BYTES)),
});

export const sessionInfo = object({
  id: str(MAX_SESSION_ID_CHARS),
  name: str(MAX_NAME_CHARS),
  pid: uint(),
  createdAt: num(),
  activeAt: num(),
  attached: bool(),
  attachedBy: optional(str(MAX_CLIENT_LABEL_CHARS)),
  foreground: optional(str(MAX_PROCESS_NAME_CHARS)),
  cols: dimension,
  rows: dimension,
  offset: uint(),
});

const channelAck = object({ id: uint(), offset: uint(), eof: optional(bool()) });
/** What a receiver has consumed: terminal input written to the PTY, channel data written out. */
const ackShape = { input: optional(uint()), channels: optional(arrayOf(channelAck, MAX_CHANNELS)) };
const acks = object(ackShape);
/**
 * One side's channels at a resume: for each, whether it is open (not just being
 * decided), how much it has received, and whether the stream's end arrived; and the
 * channels it closed recently, with why. The other side resends from there.
 */
const linkState = object({
  channels: arrayOf(object({ id: uint(), open: bool(), recv: uint(), eof: bool() }), MAX_CHANNELS),
  closed: arrayOf(object({ id: uint(), reason: optional(str(MAX_REASON_CHARS)) }), MAX_CLOSED_CHANNELS),
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
  error: { code: str(64), message: str(MAX_ERROR_CHARS) },
  'kill-server': {},

  // control requests and their replies
  new: { spec: sessionSpec, attach: bool() },
  attach: {
    target,
    cols: dimension,
    rows: dimension,
    resume: optional(object({ token: str(128), offset: uint(), link: optional(linkState) })),
    create: optional(sessionSpec),
    repaint: bool(),
    /** The session the client runs inside (its GRITTY_SESSION): attaching to it is refused. */
    from: optional(str(MAX_SESSION_ID_CHARS)),
  },
  tail: { target, from: oneOf('screen', 'now', 'history') },
  list: {},
  'kill-session': { target },
  rename: { target, name: str(MAX_NAME_CHARS) },
  ok: {},
  created: { session: sessionInfo },
  sessions: { sessions: arrayOf(sessionInfo, 100_000), exited: optional(arrayOf(exitedInfo, 1_000)) },

  // session stream
  attached: { session: sessionInfo, token: str(128), offset: uint(), lost: uint(), input: optional(uint()), link: optional(linkState) },
  snapshot: { offset: uint(), data: bin(MAX_FRAME_BYTES), lost: uint() },
  output: { offset: uint(), data: bin(MAX_FRAME_BYTES), ack: optional(uint()) },
  input: { offset: optional(uint()), data: bin(MAX_FRAME_BYTES) },
  resize: { cols: dimension, rows: dimension },
  ping: { ts: num(), ack: optional(acks) },
  pong: { ts: num(), ack: optional(acks) },
  ack: ackShape,
  exit: { code: int(), signal: optional(uint()) },
  detach: {},
  repaint: {},
  detached: { reason: oneOf('taken-over', 'killed', 'server-shutdown', 'evicted'), by: optional(str(MAX_CLIENT_LABEL_CHARS)) },

  // the per-session service socket: an in-session helper asks for a channel to the laptop
  'svc-channel': { kind: str(32), params: scalarMap(16, 4096) },

  // channels (only to a peer that lists the `channels` capability)
  'ch-open': { id: uint(), kind: str(32), params: scalarMap(16, 4096) },
  'ch-accept': { id: uint() },
  'ch-data': { id: uint(), offset: uint(), data: bin(MAX_CHANNEL_CHUNK_BYTES) },
  'ch-eof': { id: uint(), offset: uint() },
  'ch-close': { id: uint(), reason: optional(str(MAX_REASON_CHARS)) },
} as const satisfies Record<string, Shape>;

export type MessageType = keyof typeof MESSAGE_SHAPES;
export type MessageOf<T extends MessageType> = { type: T } & InferShape<(typeof MESSAGE_SHAPES)[T]>;
export type Message = { [T in MessageType]: MessageOf<T> }[MessageType];

export type SessionSpec = ReturnType<typeof sessionSpec.parse>;
export type SessionInfo = ReturnType<typeof sessionInfo.parse>;
export type ExitedInfo = ReturnType<typeof exitedInfo.parse>;
export type DetachReason = MessageOf<'detached'>['reason'];
export type TailFrom = MessageOf<'tail'>['from'];
export type Acks = ReturnType<typeof acks.parse>;
export type LinkState = ReturnType<typeof linkState.parse>;
