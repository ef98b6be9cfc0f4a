/**
 * The few msgpack encodings our hand-built and hand-read frames use, written exactly as
 * msgpackr writes them (a plain object as a map16 in key order, short strings as fixstr,
 * a non-negative integer in the smallest uint up to 32 bits and as a float64 beyond, bin
 * in the smallest of bin8/16/32), so the peer cannot tell a hand-built frame from one of
 * encode()'s. Each user holds itself to encode() in its own property test.
 */
export const MAP16 = 0xde;
/** Longest uint: a float64's marker and 8 bytes. */
export const MAX_UINT_BYTES = 9;
/** Longest bin header: bin32's marker and length. */
export const MAX_BIN_HEADER_BYTES = 5;

const UINT8 = 0xcc;
const UINT16 = 0xcd;
const UINT32 = 0xce;
const FLOAT64 = 0xcb;
const BIN8 = 0xc4;
const BIN16 = 0xc5;
const BIN32 = 0xc6;
const FIXSTR = 0xa0;

/** A key or short value as msgpackr writes it: fixstr (up to 31 bytes of ASCII). */
export function fixstr(text: string): Buffer {
  return Buffer.from([FIXSTR | text.length, ...Buffer.from(text, 'latin1')]);
}

export function isUint(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Writes a non-negative safe integer at `at`; returns where the next field starts. */
export function writeUint(into: Buffer, at: number, value: number): number {
  if (value < 0x80) {
    into[at] = value;
    return at + 1;
  }
  if (value < 0x100) {
    into[at] = UINT8;
    into[at + 1] = value;
    return at + 2;
  }
  if (value < 0x10000) {
    into[at] = UINT16;
    into.writeUInt16BE(value, at + 1);
    return at + 3;
  }
  if (value <= 0xffffffff) {
    into[at] = UINT32;
    into.writeUInt32BE(value, at + 1);
    return at + 5;
  }
  into[at] = FLOAT64;
  into.writeDoubleBE(value, at + 1);
  return at + 9;
}

/** Writes the header of a bin of `length` bytes; returns where its bytes start. */
export function writeBinHeader(into: Buffer, at: number, length: number): number {
  if (length < 0x100) {
    into[at] = BIN8;
    into[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    into[at] = BIN16;
    into.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  into[at] = BIN32;
  into.writeUInt32BE(length, at + 1);
  return at + 5;
}

/** Whether `body` holds `bytes` at `at`. */
export function startsWith(body: Buffer, at: number, bytes: Buffer): boolean {
  if (at + bytes.length > body.length) return false;
  for (let i = 0; i < bytes.length; i++) if (body[at + i] !== bytes[i]) return false;
  return true;
}

/** Reads a uint in one of the encodings writeUint makes; undefined for anything else or a value that is no safe integer. */
export function readUint(body: Buffer, at: number): { value: number; next: number } | undefined {
  if (at >= body.length) return undefined;
  const marker = body[at]!;
  if (marker < 0x80) return { value: marker, next: at + 1 };
  const size = marker === UINT8 ? 1 : marker === UINT16 ? 2 : marker === UINT32 ? 4 : marker === FLOAT64 ? 8 : 0;
  if (size === 0 || at + 1 + size > body.length) return undefined;
  const value = size === 1 ? body[at + 1]! : size === 2 ? body.readUInt16BE(at + 1) : size === 4 ? body.readUInt32BE(at + 1) : body.readDoubleBE(at + 1);
  if (!isUint(value)) return undefined;
  return { value, next: at + 1 + size };
}

/** Reads the header of a bin at `at`: its length and where its bytes start (which `body` need not hold yet). */
export function readBinHeader(body: Buffer, at: number): { length: number; start: number } | undefined {
  if (at >= body.length) return undefined;
  const marker = body[at]!;
  const size = marker === BIN8 ? 1 : marker === BIN16 ? 2 : marker === BIN32 ? 4 : 0;
  if (size === 0 || at + 1 + size > body.length) return undefined;
  return { length: body.readUIntBE(at + 1, size), start: at + 1 + size };
}

/** Reads a bin as a view of `body`; undefined when there is none at `at` or it runs past the end. */
export function readBin(body: Buffer, at: number): { value: Buffer; next: number } | undefined {
  const header = readBinHeader(body, at);
  if (header === undefined || header.start + header.length > body.length) return undefined;
  const next = header.start + header.length;
  return { value: body.subarray(header.start, next), next };
}
