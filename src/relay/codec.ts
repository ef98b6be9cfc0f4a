// 'msgpackr/pack' is msgpackr's pure-JS build: the package root also loads the native
// msgpackr-extract addon, which costs every CLI start ~15-20 ms (measured: codec import
// 36 -> 16 ms median) and only speeds up decoding of many strings, which frames lack.
import { OriginalTextDecoder } from './keep-bom.js';
import { Packr } from 'msgpackr/pack';
import { GrittyError } from './errors.js';

globalThis.TextDecoder = OriginalTextDecoder;

/**
 * The one msgpack encoder/decoder. Plain msgpack only: no records, no bundled
 * strings, undefined written as nil, so that a peer in any language can speak it.
 */
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  bundleStrings: false,
  encodeUndefinedAsNil: true,
  mapsAsObjects: true,
  int64AsType: 'number',
});

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

export function decode(body: Buffer): unknown {
  try {
    return packr.unpack(body);
  } catch (err) {
    throw new GrittyError('bad-frame', `frame body is not valid msgpack: ${(err as Error).message}`, { cause: err });
  }
}
