import { Packr } from 'msgpackr';
import { GrittyError } from './errors.js';

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
