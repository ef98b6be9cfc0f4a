import { encode, decode } from '../../relay/codec.js';
import { GrittyError } from '../../relay/errors.js';
import { FRAME_HEADER_BYTES, frameHeader } from '../../relay/frame.js';
import { MAX_BIN_HEADER_BYTES, fixstr, readBinHeader, startsWith, writeBinHeader } from '../../relay/msgpack-layout.js';
import { bin, isPlainObject, num, object, oneOf, optional, str, uint, type Field, type InferShape, type Shape } from '../../relay/schema.js';

/**
 * The records of one file transfer, carried over one byte stream (a channel) as
 * `[u32 BE length][msgpack map with "type"]` frames: the framing and codec of the
 * session protocol, so there is one of each. docs/protocol.md, "File transfer stream".
 */
export const TRANSFER_FORMAT_VERSION = 1;

/** Payload of one data record: small enough to interleave fairly with other channels. */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** Linux PATH_MAX: no longer path can be created anyway. */
export const MAX_PATH_BYTES = 4096;
/** Linux NAME_MAX, in bytes of UTF-8. */
export const MAX_NAME_BYTES = 255;
const SHA256_BYTES = 32;
/** Permission bits as sent: rwx for all three plus setuid, setgid and sticky (which the receiver drops). */
const MAX_MODE = 0o7777;
export const MAX_MESSAGE_CHARS = 4096;

const path = str(MAX_PATH_BYTES);
const mode = uint(MAX_MODE);
/** The range of a JavaScript Date, in milliseconds either side of the epoch. */
const MAX_DATE_MS = 8.64e15;
/** Modification time in milliseconds since the epoch. */
const mtime: Field<number> = {
  parse(value, at) {
    const ms = num().parse(value, at);
    if (Math.abs(ms) > MAX_DATE_MS) throw new GrittyError('bad-message', `field ${at}: ${ms} is not a date`);
    return ms;
  },
};
const errorFields = { code: str(64), message: str(MAX_MESSAGE_CHARS) };

/** Sender to receiver. */
export const SENDER_RECORDS = {
  offer: { version: uint(), kind: oneOf('files', 'stream'), files: uint(), bytes: optional(uint()) },
  dir: { path, mode, mtime },
  file: { path, size: uint(), mode, mtime },
  data: { data: bin(MAX_CHUNK_BYTES) },
  'file-end': { sha256: bin(SHA256_BYTES) },
  skipped: { path, reason: oneOf('symlink', 'special', 'unsafe-name') },
  end: {},
  abort: errorFields,
} as const satisfies Record<string, Shape>;

/** Receiver to sender. */
export const RECEIVER_RECORDS = {
  accept: {},
  'file-ok': { path },
  'file-failed': { path, ...errorFields },
  summary: { files: uint(), bytes: uint(), failed: uint() },
  abort: errorFields,
} as const satisfies Record<string, Shape>;

type RecordOf<Table extends Record<string, Shape>, T extends keyof Table & string> = { type: T } & InferShape<Table[T]>;
type Union<Table extends Record<string, Shape>> = { [T in keyof Table & string]: RecordOf<Table, T> }[keyof Table & string];

export type SenderRecord = Union<typeof SENDER_RECORDS>;
export type ReceiverRecord = Union<typeof RECEIVER_RECORDS>;
export type SkipReason = RecordOf<typeof SENDER_RECORDS, 'skipped'>['reason'];

export interface RecordParser<R> {
  (body: Buffer): R;
}

function parserFor<Table extends Record<string, Shape>>(table: Table, side: string): RecordParser<Union<Table>> {
  const parsers = new Map(Object.entries(table).map(([type, shape]) => [type, object(shape)] as const));
  return (body) => {
    const value = decode(body);
    if (!isPlainObject(value)) throw new GrittyError('bad-message', `a ${side} record must be a msgpack map`);
    const type = value.type;
    if (typeof type !== 'string') throw new GrittyError('bad-message', `a ${side} record needs a string field "type"`);
    const parser = parsers.get(type);
    if (parser === undefined) throw new GrittyError('bad-message', `unknown ${side} record ${JSON.stringify(type.slice(0, 64))}`);
    return { type, ...parser.parse(value, '') } as Union<Table>;
  };
}

export const parseSenderRecord = parserFor(SENDER_RECORDS, 'sender');

/** A data record as the receiver holds it: its payload in the pieces it arrived in (RecordDecoder). */
export interface DataPieces {
  type: 'data';
  pieces: Buffer[];
  bytes: number;
  /** Gives the pieces' memory back for reuse: call once they are hashed and written, never before. Absent when nothing is to be given back. */
  release?: () => void;
}
export type ReceivedSenderRecord = Exclude<SenderRecord, { type: 'data' }> | DataPieces;

/** parseSenderRecord, for a whole frame body: a data record encoded otherwise than by encodeDataRecord ends up here. */
export function parseReceivedSenderRecord(body: Buffer): ReceivedSenderRecord {
  const record = parseSenderRecord(body);
  return record.type === 'data' ? { type: 'data', pieces: [record.data], bytes: record.data.length } : record;
}
export const parseReceiverRecord = parserFor(RECEIVER_RECORDS, 'receiver');

/** One record as the bytes to write: header and body, kept apart so a 64 KiB body is not copied again to join them. */
export function encodeRecord(record: SenderRecord | ReceiverRecord): [Buffer, Buffer] {
  const body = encode(record);
  return [frameHeader(body.length), body];
}

/** `{"type": "data", "data": <bin>}` up to the bin: a fixmap of 2 and the three fixstrs. */
const FIXMAP_OF_2 = 0x82;
const DATA_RECORD_PREFIX = Buffer.concat([Buffer.from([FIXMAP_OF_2]), fixstr('type'), fixstr('data'), fixstr('data')]);

/**
 * A data record as [frame header and msgpack up to the payload, the payload itself]:
 * the bytes encodeRecord() would give, without copying the payload into them (most
 * of what a sender writes is payload). The caller must not change `data` until the
 * stream has written it.
 */
export function encodeDataRecord(data: Buffer): [Buffer, Buffer] {
  if (data.length > MAX_CHUNK_BYTES) throw new GrittyError('frame-too-large', `a data record carries at most ${MAX_CHUNK_BYTES} bytes, not ${data.length}`);
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + MAX_DATA_HEAD_BYTES);
  const end = writeBinHeader(head, FRAME_HEADER_BYTES + DATA_RECORD_PREFIX.copy(head, FRAME_HEADER_BYTES), data.length);
  head.writeUInt32BE(end - FRAME_HEADER_BYTES + data.length, 0);
  return [head.subarray(0, end), data];
}

/** Bytes of a data record's body before its payload, at most: the prefix and a bin header. */
export const MAX_DATA_HEAD_BYTES = DATA_RECORD_PREFIX.length + MAX_BIN_HEADER_BYTES;

/**
 * Where the payload of a data record begins and how long it is, when `body` (the
 * frame body's first bytes, `bodyLength` in all) starts as encodeDataRecord writes
 * it and its payload fills the rest of the frame exactly; undefined for anything else
 * (another record, another encoding of one, a payload over MAX_CHUNK_BYTES), which the
 * caller then parses as a whole with the full validation.
 */
export function dataRecordLayout(body: Buffer, bodyLength: number): { headBytes: number; payloadBytes: number } | undefined {
  if (!startsWith(body, 0, DATA_RECORD_PREFIX)) return undefined;
  const bin = readBinHeader(body, DATA_RECORD_PREFIX.length);
  if (bin === undefined || bin.length > MAX_CHUNK_BYTES || bin.start + bin.length !== bodyLength) return undefined;
  return { headBytes: bin.start, payloadBytes: bin.length };
}

/** An abort record for `err`, its message cut to what the record may carry. */
export function abortRecord(err: { code: string; message: string }): { type: 'abort'; code: string; message: string } {
  return { type: 'abort', code: err.code, message: err.message.slice(0, MAX_MESSAGE_CHARS) };
}
