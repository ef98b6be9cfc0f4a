import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FrameDecoder, frameHeader } from '../../../src/relay/frame.js';
import { MAX_CHUNK_BYTES, encodeDataRecord, encodeRecord, parseReceivedSenderRecord, type ReceivedSenderRecord } from '../../../src/forward/transfer/format.js';
import { PayloadPool } from '../../../src/forward/transfer/payload-pool.js';
import { RecordDecoder } from '../../../src/forward/transfer/record-decoder.js';

/**
 * RecordDecoder.pushLent: every chunk arrives in one reused read buffer, which this test
 * overwrites after each push, as the next socket read would. Whatever the decoder kept
 * as a view of it (a payload, a frame body, a partial frame) then comes out wrong.
 */

/** What a record says, its payload as length and digest: taken when the record is delivered or later. */
function summary(record: ReceivedSenderRecord): unknown {
  if (record.type === 'file-end') return { type: 'file-end', sha256: Buffer.from(record.sha256).toString('hex') };
  if (record.type !== 'data') return record;
  const hash = createHash('sha256');
  for (const piece of record.pieces) hash.update(piece);
  return { type: 'data', bytes: record.bytes, length: record.pieces.reduce((n, p) => n + p.length, 0), sha256: hash.digest('hex') };
}

/** The reference: relay's FrameDecoder over all of it, then the full parser on each frame in turn. */
function decodeWhole(bytes: Buffer): { records: unknown[]; error: string | undefined } {
  const records: unknown[] = [];
  try {
    for (const body of new FrameDecoder().push(bytes)) records.push(summary(parseReceivedSenderRecord(body)));
  } catch (err) {
    return { records, error: (err as Error).message };
  }
  return { records, error: undefined };
}

const SCRIBBLE = 0xee;

/**
 * `bytes` through pushLent in pieces cut at `cuts`, each piece copied into the one
 * reused buffer, which is scribbled over after each push. With `releaseAtOnce`, each
 * data record is summarised and given back to the pool as it is delivered (so later
 * records reuse its buffer); otherwise every record is kept and summarised at the end.
 */
function decodeLent(bytes: Buffer, cuts: number[], releaseAtOnce: boolean): { records: unknown[]; error: string | undefined } {
  const decoder = new RecordDecoder(parseReceivedSenderRecord, (data) => data, new PayloadPool());
  const reused = Buffer.alloc(bytes.length);
  const kept: ReceivedSenderRecord[] = [];
  const summaries: unknown[] = [];
  const deliver = (record: ReceivedSenderRecord): void => {
    if (!releaseAtOnce) {
      kept.push(record);
      return;
    }
    summaries.push(summary(record));
    if (record.type === 'data') record.release?.();
  };
  const at = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
  let error: string | undefined;
  try {
    for (let i = 1; i < at.length; i++) {
      const n = bytes.copy(reused, 0, at[i - 1], at[i]);
      decoder.pushLent(reused.subarray(0, n), deliver);
      reused.fill(SCRIBBLE);
    }
  } catch (err) {
    error = (err as Error).message;
  }
  return { records: releaseAtOnce ? summaries : kept.map(summary), error };
}

/** Payloads whose bytes differ from record to record, so one record's bytes showing up in another's place is seen. */
const payload = fc
  .tuple(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(255, 256, MAX_CHUNK_BYTES), fc.integer({ min: 0, max: MAX_CHUNK_BYTES })), fc.integer({ min: 1, max: 250 }))
  .map(([n, seed]) => {
    const data = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) data[i] = (i * seed + (i >> 8)) & 0xff;
    return data;
  });

const frame = fc.oneof(
  payload.map((data) => Buffer.concat(encodeDataRecord(data))),
  payload.map((data) => Buffer.concat(encodeRecord({ type: 'data', data }))),
  fc.integer({ min: 0, max: 255 }).map((fill) => Buffer.concat(encodeRecord({ type: 'file-end', sha256: Buffer.alloc(32, fill) }))),
  fc.constantFrom<Parameters<typeof encodeRecord>[0]>({ type: 'file', path: 'a/b', size: 3, mode: 0o644, mtime: 5 }, { type: 'end' }).map((record) => Buffer.concat(encodeRecord(record))),
  // a payload over the limit behind a canonical head, and a broken frame: the error must be the same too
  fc.constant(Buffer.concat([frameHeader(3), Buffer.from([0x82, 0xa4, 0x74])])),
);

describe('RecordDecoder with lent reads', () => {
  test.each([
    ['kept until the end', false],
    ['given back as delivered', true],
  ])('makes of any stream of frames, cut anywhere into one reused buffer, what framing and full parsing make of it whole (records %s)', (_, releaseAtOnce) => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames);
        const whole = decodeWhole(bytes);
        const lent = decodeLent(bytes, cuts, releaseAtOnce);
        expect(lent.error).toBe(whole.error);
        expect(lent.records).toEqual(whole.records);
      }),
      { numRuns: 150 },
    );
  });

  test('a data record comes in one pooled buffer, which the pool hands out again once it is given back, and only once if given back twice', () => {
    const pool = new PayloadPool();
    const decoder = new RecordDecoder(parseReceivedSenderRecord, (data) => data, pool);
    const data = Buffer.alloc(MAX_CHUNK_BYTES, 7);
    const records: ReceivedSenderRecord[] = [];
    decoder.pushLent(Buffer.concat(encodeDataRecord(data)), (r) => records.push(r));
    const [record] = records;
    if (record?.type !== 'data') throw new Error(`expected a data record, got ${record?.type}`);
    expect(record.pieces).toHaveLength(1);
    expect(record.pieces[0]!.equals(data)).toBe(true);
    const backing = record.pieces[0]!.buffer;
    record.release!();
    record.release!();
    expect(pool.take().buffer).toBe(backing);
    expect(pool.take().buffer).not.toBe(backing);
  });
});
