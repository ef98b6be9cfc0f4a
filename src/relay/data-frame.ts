import type { MessageOf } from './messages.js';
import { MAP16, fixstr, readBin, readUint, startsWith } from './msgpack-layout.js';

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

const TYPE_KEY = fixstr('type');
const OUTPUT = fixstr('output');
const INPUT = fixstr('input');
const OFFSET_KEY = fixstr('offset');
const DATA_KEY = fixstr('data');
const ACK_KEY = fixstr('ack');
