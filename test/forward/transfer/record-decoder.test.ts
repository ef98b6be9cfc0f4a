import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encode } from '../../../src/relay/codec.js';
import { FrameDecoder, frameHeader } from '../../../src/relay/frame.js';
import {
  MAX_CHUNK_BYTES,
  dataRecordLayout,
  encodeDataRecord,
  encodeRecord,
  parseReceivedSenderRecord,
  type ReceivedSenderRecord,
} from '../../../src/forward/transfer/format.js';
import { RecordDecoder } from '../../../src/forward/transfer/record-decoder.js';

/** A received record with its payload's length and digest, for comparing what two decoders made of the same bytes. */
function joined(record: ReceivedSenderRecord): unknown {
  if (record.type !== 'data') return record;
  const hash = createHash('sha256');
  for (const piece of record.pieces) hash.update(piece);
  return { type: 'data', bytes: record.bytes, length: record.pieces.reduce((n, p) => n + p.length, 0), sha256: hash.digest('hex') };
}

function receiverDecoder(): RecordDecoder<ReceivedSenderRecord> {
  return new RecordDecoder(parseReceivedSenderRecord, (data) => data);
}

/** What the decoder makes of `bytes` arriving in pieces cut at `cuts`: the records, and the error that stopped it. */
function decodeInPieces(bytes: Buffer, cuts: number[]): { records: ReceivedSenderRecord[]; error: string | undefined } {
  const decoder = receiverDecoder();
  const records: ReceivedSenderRecord[] = [];
  const at = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
  try {
    for (let i = 1; i < at.length; i++) decoder.push(bytes.subarray(at[i - 1], at[i]), (r) => records.push(r));
  } catch (err) {
    return { records, error: (err as Error).message };
  }
  return { records, error: undefined };
}

/** The reference: relay's FrameDecoder over all of it, then the full parser on each frame in turn. */
function decodeWhole(bytes: Buffer): { records: ReceivedSenderRecord[]; error: string | undefined } {
  const records: ReceivedSenderRecord[] = [];
  try {
    for (const body of new FrameDecoder().push(bytes)) records.push(parseReceivedSenderRecord(body));
  } catch (err) {
    return { records, error: (err as Error).message };
  }
  return { records, error: undefined };
}

const payload = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.constantFrom(255, 256, 65_535, MAX_CHUNK_BYTES),
  fc.integer({ min: 0, max: MAX_CHUNK_BYTES }),
).map((n) => Buffer.alloc(n, n % 251));

/** A data record one byte over MAX_CHUNK_BYTES, in the layout encodeDataRecord would give it. */
function overLimit(): Buffer {
  const [head] = encodeDataRecord(Buffer.alloc(MAX_CHUNK_BYTES));
  const bytes = MAX_CHUNK_BYTES + 1;
  head.writeUInt32BE(head.readUInt32BE(0) + 1, 0);
  head.writeUInt32BE(bytes, head.length - 4);
  return Buffer.concat([head, Buffer.alloc(bytes)]);
}

/** Frames as an honest sender writes them, as a codec writes them, and damaged ones a hostile sender might. */
const frame = fc.oneof(
  payload.map((data) => Buffer.concat(encodeDataRecord(data))),
  payload.map((data) => Buffer.concat(encodeRecord({ type: 'data', data }))),
  fc.constantFrom<Parameters<typeof encodeRecord>[0]>(
    { type: 'file', path: 'a/b', size: 3, mode: 0o644, mtime: 5 },
    { type: 'file-end', sha256: Buffer.alloc(32, 1) },
    { type: 'end' },
  ).map((record) => Buffer.concat(encodeRecord(record))),
  // a canonical data head whose payload is one byte short of, or past, its frame
  fc.tuple(payload, fc.constantFrom(-1, 1)).map(([data, skew]) => {
    const [head] = encodeDataRecord(data);
    const body = Buffer.concat([head.subarray(4), data, Buffer.alloc(Math.max(skew, 0))]).subarray(0, head.length - 4 + data.length + skew);
    return Buffer.concat([frameHeader(body.length), body]);
  }),
  // a payload over the limit behind a canonical head
  fc.constant(overLimit()),
  fc.constant(Buffer.concat([frameHeader(3), Buffer.from([0x82, 0xa4, 0x74])])),
);

describe('RecordDecoder', () => {
  test('makes of any stream of frames, cut anywhere, the records and the error that framing and full parsing make of it whole', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames);
        const whole = decodeWhole(bytes);
        const pieces = decodeInPieces(bytes, cuts);
        expect(pieces.error).toBe(whole.error);
        expect(pieces.records.map(joined)).toEqual(whole.records.map(joined));
      }),
      { numRuns: 200 },
    );
  });

  test('hands on the payload of a data record spanning reads as views of those reads, with its bytes counted exactly', () => {
    const data = Buffer.alloc(MAX_CHUNK_BYTES);
    for (let i = 0; i < data.length; i++) data[i] = i % 253;
    const bytes = Buffer.concat([...encodeDataRecord(data), ...encodeRecord({ type: 'end' })]);
    const reads = [bytes.subarray(0, 10), bytes.subarray(10, 40_000), bytes.subarray(40_000)].map((r) => Buffer.from(r));
    const records: ReceivedSenderRecord[] = [];
    const decoder = receiverDecoder();
    for (const read of reads) decoder.push(read, (r) => records.push(r));
    expect(records).toHaveLength(2);
    const [record] = records;
    if (record?.type !== 'data') throw new Error(`expected a data record, got ${record?.type}`);
    expect(record.bytes).toBe(MAX_CHUNK_BYTES);
    expect(record.pieces.reduce((n, p) => n + p.length, 0)).toBe(MAX_CHUNK_BYTES);
    expect(Buffer.concat(record.pieces).equals(data)).toBe(true);
    for (const piece of record.pieces) expect(reads.some((read) => read.buffer === piece.buffer)).toBe(true);
    expect(decoder.midFrame).toBe(false);
  });

  test('knows it stopped in the middle of a data record', () => {
    const decoder = receiverDecoder();
    const [head, data] = encodeDataRecord(Buffer.alloc(1000));
    decoder.push(Buffer.concat([head, data.subarray(0, 10)]), () => expect.unreachable());
    expect(decoder.midFrame).toBe(true);
  });
});

describe('dataRecordLayout', () => {
  test.each([0, 1, 255, 256, 65_535, MAX_CHUNK_BYTES])('finds the %i-byte payload of a data record as encodeDataRecord writes it', (bytes) => {
    const [head] = encodeDataRecord(Buffer.alloc(bytes));
    expect(dataRecordLayout(head.subarray(4), head.length - 4 + bytes)).toEqual({ headBytes: head.length - 4, payloadBytes: bytes });
  });

  test('leaves every other body to the full parser', () => {
    const [head] = encodeDataRecord(Buffer.alloc(10));
    expect(dataRecordLayout(head.subarray(4), head.length - 4 + 11)).toBeUndefined();
    expect(dataRecordLayout(head.subarray(4, 10), 100)).toBeUndefined();
    expect(dataRecordLayout(encode({ type: 'data', data: 'text' }), 20)).toBeUndefined();
    expect(dataRecordLayout(encode({ type: 'end' }), 10)).toBeUndefined();
  });
});
