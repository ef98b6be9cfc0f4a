import { describe, expect, test } from 'vitest';
import { decode, encode } from '../../src/relay/codec.js';
import { isGrittyError } from '../../src/relay/errors.js';

/**
 * A strict reader of the msgpack spec's core types (nil, bool, int, float, str, bin,
 * array, map) that refuses every extension type and the reserved byte 0xc1: what a
 * peer in another language with no msgpackr knowledge can read.
 */
function readPlain(buf: Buffer): unknown {
  let at = 0;
  const need = (n: number): void => {
    if (at + n > buf.length) throw new Error(`truncated at ${at}`);
  };
  const u = (n: 1 | 2 | 4): number => {
    need(n);
    const v = n === 1 ? buf.readUInt8(at) : n === 2 ? buf.readUInt16BE(at) : buf.readUInt32BE(at);
    at += n;
    return v;
  };
  const bytes = (n: number): Buffer => {
    need(n);
    const out = buf.subarray(at, at + n);
    at += n;
    return out;
  };
  const str = (n: number): string => bytes(n).toString('utf8');
  const arr = (n: number): unknown[] => Array.from({ length: n }, () => read());
  const map = (n: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = read();
      if (typeof key !== 'string') throw new Error('non-string map key');
      out[key] = read();
    }
    return out;
  };
  const read = (): unknown => {
    const b = u(1);
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xf0) === 0x80) return map(b & 0x0f);
    if ((b & 0xf0) === 0x90) return arr(b & 0x0f);
    if ((b & 0xe0) === 0xa0) return str(b & 0x1f);
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return Buffer.from(bytes(u(1)));
      case 0xc5: return Buffer.from(bytes(u(2)));
      case 0xc6: return Buffer.from(bytes(u(4)));
      case 0xca: { const v = bytes(4).readFloatBE(0); return v; }
      case 0xcb: { const v = bytes(8).readDoubleBE(0); return v; }
      case 0xcc: return u(1);
      case 0xcd: return u(2);
      case 0xce: return u(4);
      case 0xcf: return Number(bytes(8).readBigUInt64BE(0));
      case 0xd0: return bytes(1).readInt8(0);
      case 0xd1: return bytes(2).readInt16BE(0);
      case 0xd2: return bytes(4).readInt32BE(0);
      case 0xd3: return Number(bytes(8).readBigInt64BE(0));
      case 0xd9: return str(u(1));
      case 0xda: return str(u(2));
      case 0xdb: return str(u(4));
      case 0xdc: return arr(u(2));
      case 0xdd: return arr(u(4));
      case 0xde: return map(u(2));
      case 0xdf: return map(u(4));
      default: throw new Error(`byte 0x${b.toString(16)} at ${at - 1} is an extension or reserved`);
    }
  };
  const value = read();
  if (at !== buf.length) throw new Error(`${buf.length - at} trailing bytes`);
  return value;
}

describe('encode', () => {
  test('writes messages that a strict reader of plain msgpack reads back', () => {
    const messages = [
      { type: 'hello', version: 1, caps: ['resume'], deviceId: 'd', clientName: 'c' },
      { type: 'output', offset: 2 ** 40, data: Buffer.from([0, 255, 10]) },
      { type: 'ping', ts: 1234.5 },
      { type: 'exit', code: -1, signal: 9 },
      { type: 'new', spec: { env: { TERM: 'xterm', LANG: 'C.UTF-8' }, cols: 80, rows: 24 }, attach: false },
    ];
    for (const msg of messages) expect(readPlain(encode(msg))).toEqual(msg);
  });

  test('writes a Buffer as msgpack bin, not as an extension', () => {
    expect([...encode(Buffer.from([1, 2, 3]))]).toEqual([0xc4, 0x03, 1, 2, 3]);
  });

  test('writes undefined as nil rather than an extension', () => {
    expect([...encode(undefined)]).toEqual([0xc0]);
    expect(readPlain(encode({ x: undefined }))).toEqual({ x: null });
  });

  test('writes repeated map shapes as maps every time, without records', () => {
    const value = [{ type: 'ping', ts: 1 }, { type: 'ping', ts: 2 }, { type: 'ping', ts: 3 }];
    expect(readPlain(encode(value))).toEqual(value);
  });

  test('writes a 64-bit-range offset so a plain reader gets the same number', () => {
    expect(readPlain(encode({ offset: Number.MAX_SAFE_INTEGER }))).toEqual({ offset: Number.MAX_SAFE_INTEGER });
  });
});

describe('decode', () => {
  test('reads maps as plain objects and bin as bytes', () => {
    const value = decode(Buffer.from([0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0xc4, 0x02, 9, 8])) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.a).toBe(1);
    expect(value.b).toBeInstanceOf(Uint8Array);
    expect([...(value.b as Uint8Array)]).toEqual([9, 8]);
  });

  test('reads a uint64 as a number', () => {
    expect(decode(Buffer.from([0xcf, 0, 0, 0x01, 0, 0, 0, 0, 0]))).toBe(2 ** 40);
  });

  test('reads what encode wrote', () => {
    const msg = { type: 'input', data: Buffer.from('~.\r\n') };
    const back = decode(encode(msg)) as { type: string; data: Uint8Array };
    expect(back.type).toBe('input');
    expect(Buffer.from(back.data).toString()).toBe('~.\r\n');
  });

  test('turns a truncated body into a bad-frame error', () => {
    let err: unknown;
    try {
      decode(Buffer.from([0x82, 0xa1]));
    } catch (e) {
      err = e;
    }
    expect(isGrittyError(err, 'bad-frame')).toBe(true);
    expect((err as Error).message).toMatch(/not valid msgpack/);
  });
});
