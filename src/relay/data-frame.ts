import type { MessageOf } from './messages.js';

/**
 * Reads an `output` or `input` frame body without the generic decoder and schema walk
 * (a keystroke's frame spent more in them than in anything of ours). Only the layout
 * encode() makes of these messages is read here: a map16 in key order, fixstr keys, a
 * non-negative integer as fixint, uint8/16/32 or a float64 holding a safe integer, the
 * data as bin8/16/32, nothing after it. For anything else it returns undefined and the
 * caller decodes and validates the frame the generic way, so what is accepted here is
 * a subset of what validate() accepts, and gives the same message.
 */
export function readDataFrame(body: Buffer): MessageOf<'output'> | MessageOf<'input'> | undefined {
  if (body.length < 3 || body[0] !== MAP16 || body[1] !== 0) return undefined;
  const fields = body[2];
  let at = 3;
  if (!startsWith(body, at, TYPE_KEY)) return undefined;
  at += TYPE_KEY.length;
  let type: 'output' | 'input';
  if (startsWith(body, at, OUTPUT)) type = 'output';
  else if (startsWith(body, at, INPUT)) type = 'input';
  else return undefined;
  at += type === 'output' ? OUTPUT.length : INPUT.length;
  if (fields !== 3 && !(type === 'output' && fields === 4)) return undefined;
  if (!startsWith(body, at, OFFSET_KEY)) return undefined;
  const offset = readUint(body, at + OFFSET_KEY.length);
  if (offset === undefined || !startsWith(body, offset.next, DATA_KEY)) return undefined;
  const data = readBin(body, offset.next + DATA_KEY.length);
  if (data === undefined) return undefined;
  if (fields === 3) {
    if (data.next !== body.length) return undefined;
    return type === 'output' ? { type, offset: offset.value, data: data.value } : { type, offset: offset.value, data: data.value };
  }
  if (!startsWith(body, data.next, ACK_KEY)) return undefined;
  const ack = readUint(body, data.next + ACK_KEY.length);
  if (ack === undefined || ack.next !== body.length) return undefined;
  return { type: 'output', offset: offset.value, data: data.value, ack: ack.value };
}

const MAP16 = 0xde;
const fixstr = (text: string): Buffer => Buffer.from([0xa0 | text.length, ...Buffer.from(text)]);
const TYPE_KEY = fixstr('type');
const OUTPUT = fixstr('output');
const INPUT = fixstr('input');
const OFFSET_KEY = fixstr('offset');
const DATA_KEY = fixstr('data');
const ACK_KEY = fixstr('ack');

function startsWith(body: Buffer, at: number, bytes: Buffer): boolean {
  if (at + bytes.length > body.length) return false;
  for (let i = 0; i < bytes.length; i++) if (body[at + i] !== bytes[i]) return false;
  return true;
}

function readUint(body: Buffer, at: number): { value: number; next: number } | undefined {
  if (at >= body.length) return undefined;
  const marker = body[at]!;
  if (marker < 0x80) return { value: marker, next: at + 1 };
  const size = marker === 0xcc ? 1 : marker === 0xcd ? 2 : marker === 0xce ? 4 : marker === 0xcb ? 8 : 0;
  if (size === 0 || at + 1 + size > body.length) return undefined;
  const value = size === 1 ? body[at + 1]! : size === 2 ? body.readUInt16BE(at + 1) : size === 4 ? body.readUInt32BE(at + 1) : body.readDoubleBE(at + 1);
  if (!Number.isSafeInteger(value) || value < 0) return undefined;
  return { value, next: at + 1 + size };
}

function readBin(body: Buffer, at: number): { value: Buffer; next: number } | undefined {
  if (at >= body.length) return undefined;
  const marker = body[at]!;
  const size = marker === 0xc4 ? 1 : marker === 0xc5 ? 2 : marker === 0xc6 ? 4 : 0;
  if (size === 0 || at + 1 + size > body.length) return undefined;
  const length = size === 1 ? body[at + 1]! : size === 2 ? body.readUInt16BE(at + 1) : body.readUInt32BE(at + 1);
  const start = at + 1 + size;
  if (start + length > body.length) return undefined;
  return { value: body.subarray(start, start + length), next: start + length };
}
