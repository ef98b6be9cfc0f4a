import { describe, expect, test } from 'vitest';
import { decode, encode } from '../../../src/relay/codec.js';
import { FrameDecoder } from '../../../src/relay/frame.js';
import { MAX_CHUNK_BYTES, encodeDataRecord, encodeRecord, parseReceiverRecord, parseSenderRecord, type SenderRecord } from '../../../src/forward/transfer/format.js';

describe('transfer records', () => {
  test('round-trip through the session framing and codec', () => {
    const records: SenderRecord[] = [
      { type: 'offer', version: 1, kind: 'files', files: 2, bytes: 5 },
      { type: 'dir', path: 'd', mode: 0o755, mtime: 1.5 },
      { type: 'file', path: 'd/f', size: 5, mode: 0o644, mtime: -3 },
      { type: 'data', data: Buffer.from('hello') },
      { type: 'file-end', sha256: Buffer.alloc(32, 7) },
      { type: 'skipped', path: 'd/l', reason: 'symlink' },
      { type: 'end' },
    ];
    const decoder = new FrameDecoder();
    const bodies = decoder.push(Buffer.concat(records.flatMap(encodeRecord)));
    expect(bodies.map(parseSenderRecord)).toEqual(records);
  });

  test.each([0, 1, 255, 256, 65_535, 65_536])('a %i-byte data record encoded without copying its payload is one plain msgpack frame, decoded as the codec decodes it', (bytes) => {
    const data = Buffer.alloc(bytes, 0xab);
    const [head, payload] = encodeDataRecord(data);
    expect(payload).toBe(data);
    const bodies = new FrameDecoder().push(Buffer.concat([head, payload, ...encodeRecord({ type: 'end' })]));
    expect(bodies).toHaveLength(2);
    expect(decode(bodies[0]!)).toEqual(decode(encodeRecord({ type: 'data', data })[1]));
    expect(parseSenderRecord(bodies[0]!)).toEqual({ type: 'data', data });
  });

  test('a data record over the chunk limit is refused before it is written', () => {
    expect(() => encodeDataRecord(Buffer.alloc(MAX_CHUNK_BYTES + 1))).toThrow(/at most 65536 bytes/);
  });

  test('an offer of a pipe may leave its size out', () => {
    expect(parseSenderRecord(encode({ type: 'offer', version: 1, kind: 'stream', files: 1 }))).toEqual({ type: 'offer', version: 1, kind: 'stream', files: 1 });
  });

  test.each([
    [{ type: 'data', data: Buffer.alloc(MAX_CHUNK_BYTES + 1) }, /field data: longer than 65536 bytes/],
    [{ type: 'data', data: 'text' }, /field data: expected binary, got string/],
    [{ type: 'file', path: 'f', size: -1, mode: 0o644, mtime: 0 }, /field size: expected an unsigned integer/],
    [{ type: 'file', path: 'f', size: 1, mode: 0o10000, mtime: 0 }, /field mode: 4096 exceeds 4095/],
    [{ type: 'file', path: 'f', size: 1, mode: 0o644 }, /field mtime: expected a number/],
    [{ type: 'dir', path: 'd', mode: 0o755, mtime: 1e20 }, /field mtime: 100000000000000000000 is not a date/],
    [{ type: 'skipped', path: 'x', reason: 'because' }, /field reason: expected one of symlink\|special\|unsafe-name/],
    [{ type: 'offer', version: 1, kind: 'tarball', files: 1 }, /field kind/],
    [{ type: 'file-ok', path: 'x' }, /unknown sender record "file-ok"/],
    [[1, 2], /must be a msgpack map/],
    [{ kind: 'x' }, /needs a string field "type"/],
  ])('the receiver refuses %j', (record, why) => {
    expect(() => parseSenderRecord(encode(record))).toThrow(why);
  });

  test.each([
    [/field bytes/, { type: 'summary', files: 1, bytes: 'many', failed: 0 }],
    [/field message: longer than 4096/, { type: 'file-failed', path: 'x', code: 'c', message: 'm'.repeat(4097) }],
    [/unknown receiver record "data"/, { type: 'data', data: Buffer.alloc(1) }],
  ])('the sender refuses a record that fails with %s', (why, record) => {
    expect(() => parseReceiverRecord(encode(record))).toThrow(why);
  });

  test('a body that is not msgpack is a bad frame', () => {
    expect(() => parseSenderRecord(Buffer.from([0x82, 0xa4]))).toThrow(/not valid msgpack/);
  });
});
