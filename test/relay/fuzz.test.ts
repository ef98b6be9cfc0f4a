import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decode, encode } from '../../src/relay/codec.js';
import { GrittyError, isGrittyError } from '../../src/relay/errors.js';
import { FRAME_HEADER_BYTES, FrameDecoder, MAX_FRAME_BYTES, frameHeader } from '../../src/relay/frame.js';
import { MAX_TERMINAL_DIMENSION, MIN_TERMINAL_DIMENSION, type MessageType } from '../../src/relay/messages.js';
import { validate } from '../../src/relay/validate.js';
import { MESSAGE_TYPES, anyMessage, messageOf, withField, wrongFor, type FieldKind } from '../helpers/arbitraries.js';

/**
 * Property-based fuzzing of the wire's pure parts: the frame decoder, the msgpack
 * codec and the validator. Over 10 000 generated cases per run; a failure prints
 * fast-check's seed and the shrunk counterexample, which `{ seed, path }` replays.
 */

function frame(body: Buffer): Buffer {
  return Buffer.concat([frameHeader(body.length), body]);
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

function hex(buffers: Buffer[]): string[] {
  return buffers.map((b) => b.toString('hex'));
}

/** Runs `fn` and returns what it threw, or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

const bodies = fc.array(fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)), { maxLength: 12 });
const cuts = fc.array(fc.nat(), { maxLength: 16 });

describe('the frame decoder, fuzzed', () => {
  test('yields exactly the bodies sent, however the stream is chunked', () => {
    fc.assert(
      fc.property(bodies, cuts, (sent, at) => {
        const decoder = new FrameDecoder();
        const got = chunked(Buffer.concat(sent.map(frame)), at).flatMap((chunk) => decoder.push(chunk));
        expect(hex(got)).toEqual(hex(sent));
        expect(decoder.midFrame).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });

  test('a stream cut short yields only the whole frames before the cut and says it stopped mid-frame', () => {
    fc.assert(
      fc.property(bodies.filter((b) => b.length > 0), fc.nat(), cuts, (sent, cutSeed, at) => {
        const stream = Buffer.concat(sent.map(frame));
        const cut = 1 + (cutSeed % (stream.length - 1));
        const decoder = new FrameDecoder();
        const got = chunked(stream.subarray(0, cut), at).flatMap((chunk) => decoder.push(chunk));
        // the frames that end at or before the cut, and no more; mid-frame unless the cut falls between frames
        const ends = sent.map((_, i) => sent.slice(0, i + 1).reduce((n, b) => n + FRAME_HEADER_BYTES + b.length, 0));
        expect(hex(got)).toEqual(hex(sent.filter((_, i) => ends[i]! <= cut)));
        expect(decoder.midFrame).toBe(!ends.includes(cut));
      }),
      { numRuns: 1_500 },
    );
  });

  test('an announced length over the limit is refused as soon as its header is whole, whatever follows', () => {
    fc.assert(
      fc.property(
        bodies,
        fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 64 }),
        cuts,
        (before, length, after, at) => {
          const header = Buffer.alloc(FRAME_HEADER_BYTES);
          header.writeUInt32BE(length, 0);
          const stream = Buffer.concat([...before.map(frame), header, Buffer.from(after)]);
          const decoder = new FrameDecoder();
          const got: Buffer[] = [];
          let err: unknown;
          for (const chunk of chunked(stream, at)) {
            err = thrown(() => got.push(...decoder.push(chunk)));
            if (err !== undefined) break;
          }
          expect(isGrittyError(err, 'frame-too-large'), String(err)).toBe(true);
          expect((err as Error).message).toContain(String(length));
          // what came through before the refusal is intact: a prefix of the frames before the bad header
          expect(hex(got)).toEqual(hex(before.slice(0, got.length)));
        },
      ),
      { numRuns: 1_500 },
    );
  });

  test('arbitrary bytes give bodies or frame-too-large and nothing else, never more bytes than came in', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), cuts, (bytes, at) => {
        const decoder = new FrameDecoder();
        let out = 0;
        for (const chunk of chunked(Buffer.from(bytes), at)) {
          const err = thrown(() => (out += decoder.push(chunk).reduce((n, b) => n + FRAME_HEADER_BYTES + b.length, 0)));
          if (err !== undefined) {
            expect(isGrittyError(err, 'frame-too-large'), String(err)).toBe(true);
            return;
          }
        }
        expect(out).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 1_500 },
    );
  });
});

describe('the codec and validator, fuzzed', () => {
  test('every valid message of every type, hostile strings included, survives encode, decode and validate unchanged', () => {
    fc.assert(
      fc.property(anyMessage(), (msg) => {
        expect(validate(decode(encode(msg)))).toEqual(msg);
      }),
      { numRuns: 2_000 },
    );
  });

  test('arbitrary bytes decode to a value or fail with bad-frame, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const err = thrown(() => decode(Buffer.from(bytes)));
        if (err !== undefined) expect(isGrittyError(err, 'bad-frame'), String(err)).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });

  test('any decodable value is a message or a bad-message error; what validates re-encodes to itself', () => {
    const values = fc.oneof(
      fc.anything({ withBigInt: false, withTypedArray: true, withNullPrototype: false, maxDepth: 3 }),
      anyMessage().map((m) => ({ ...m, extra: 1 })),
      fc.constantFrom(...MESSAGE_TYPES).map((type) => ({ type })),
    );
    fc.assert(
      fc.property(values, (value) => {
        let wire: unknown;
        try {
          wire = decode(encode(value));
        } catch {
          return; // not representable in plain msgpack: nothing a peer could send
        }
        const err = thrown(() => validate(wire));
        if (err !== undefined) {
          expect(isGrittyError(err, 'bad-message'), String(err)).toBe(true);
          return;
        }
        const msg = validate(wire);
        expect(validate(decode(encode(msg)))).toEqual(msg);
      }),
      { numRuns: 1_500 },
    );
  });

  test('a field of the wrong kind is refused with bad-message naming that field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MUTABLE).chain((m) => fc.tuple(fc.constant(m), messageOf(m.type), wrongFor(m.kind))),
        ([{ path }, msg, wrong]) => {
          const mutated = withField(msg, path, wrong);
          const err = thrown(() => validate(decode(encode(mutated))));
          expect(isGrittyError(err, 'bad-message'), `${path.join('.')} = ${String(wrong)}: ${String(err)}`).toBe(true);
          expect((err as GrittyError).message).toContain(`field ${path.join('.')}`);
        },
      ),
      { numRuns: 1_500 },
    );
  });

  test('a string one character over its limit is refused with bad-message naming the field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MUTABLE.filter((m) => m.maxChars !== undefined)).chain((m) => fc.tuple(fc.constant(m), messageOf(m.type), fc.char())),
        ([{ path, maxChars }, msg, ch]) => {
          const err = thrown(() => validate(decode(encode(withField(msg, path, ch.repeat(maxChars! + 1))))));
          expect(isGrittyError(err, 'bad-message'), String(err)).toBe(true);
          expect((err as GrittyError).message).toContain(`longer than ${maxChars}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a terminal size outside the limits is clamped to them, never refused or passed on', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_TERMINAL_DIMENSION + 1, max: Number.MAX_SAFE_INTEGER }), fc.nat({ max: MAX_TERMINAL_DIMENSION }), (big, small) => {
        expect(validate(decode(encode({ type: 'resize', cols: big, rows: small })))).toEqual({
          type: 'resize',
          cols: MAX_TERMINAL_DIMENSION,
          rows: Math.max(small, MIN_TERMINAL_DIMENSION),
        });
      }),
      { numRuns: 200 },
    );
  });

  test('a string that starts with U+FEFF keeps it through the codec, however long', () => {
    // msgpackr's pure-JS build decodes strings over 64 bytes with a default TextDecoder,
    // which drops a leading byte order mark: a command or env value would silently change
    fc.assert(
      fc.property(fc.nat({ max: 200 }), (n) => {
        const text = `\ufeff${'x'.repeat(n)}`;
        expect(decode(encode({ text }))).toEqual({ text });
      }),
      { numRuns: 200 },
    );
  });

  test('a map key __proto__ from the wire never reaches an object prototype', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 16 }), (value) => {
        const body = encode({ type: 'new', attach: false, spec: { cols: 1, rows: 1, env: { a: value } } });
        // rewrite the key "a" into "__proto__" at the byte level, as a hostile encoder would
        const hostile = Buffer.concat([body.subarray(0, body.indexOf(Buffer.from([0xa1, 0x61]))), encode('__proto__'), body.subarray(body.indexOf(Buffer.from([0xa1, 0x61])) + 2)]);
        const msg = validate(decode(hostile));
        expect(msg.type).toBe('new');
        if (msg.type !== 'new') return;
        expect(Object.getPrototypeOf(msg.spec.env)).toBe(Object.prototype);
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>).a).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});

interface Mutable {
  type: MessageType;
  path: (string | number)[];
  kind: FieldKind;
  maxChars?: number;
}

/** The fields whose checker each test above mutates: every request field, and the stream's. */
const MUTABLE: Mutable[] = [
  { type: 'hello', path: ['version'], kind: 'uint' },
  { type: 'hello', path: ['caps'], kind: 'array' },
  { type: 'hello', path: ['deviceId'], kind: 'string', maxChars: 128 },
  { type: 'hello', path: ['clientName'], kind: 'string', maxChars: 256 },
  { type: 'new', path: ['spec'], kind: 'map' },
  { type: 'new', path: ['spec', 'name'], kind: 'string', maxChars: 64 },
  { type: 'new', path: ['spec', 'command'], kind: 'string', maxChars: 65_536 },
  { type: 'new', path: ['spec', 'cwd'], kind: 'string', maxChars: 4096 },
  { type: 'new', path: ['spec', 'env'], kind: 'map' },
  { type: 'new', path: ['spec', 'cols'], kind: 'uint' },
  { type: 'new', path: ['spec', 'rows'], kind: 'uint' },
  { type: 'new', path: ['attach'], kind: 'bool' },
  { type: 'attach', path: ['target'], kind: 'string', maxChars: 256 },
  { type: 'attach', path: ['cols'], kind: 'uint' },
  { type: 'attach', path: ['rows'], kind: 'uint' },
  { type: 'attach', path: ['resume'], kind: 'map' },
  { type: 'attach', path: ['create'], kind: 'map' },
  { type: 'attach', path: ['repaint'], kind: 'bool' },
  { type: 'tail', path: ['target'], kind: 'string', maxChars: 256 },
  { type: 'kill-session', path: ['target'], kind: 'string', maxChars: 256 },
  { type: 'rename', path: ['target'], kind: 'string', maxChars: 256 },
  { type: 'rename', path: ['name'], kind: 'string', maxChars: 64 },
  { type: 'input', path: ['data'], kind: 'binary' },
  { type: 'output', path: ['offset'], kind: 'uint' },
  { type: 'output', path: ['data'], kind: 'binary' },
  { type: 'resize', path: ['cols'], kind: 'uint' },
  { type: 'ping', path: ['ts'], kind: 'number' },
  { type: 'pong', path: ['ts'], kind: 'number' },
  { type: 'error', path: ['code'], kind: 'string', maxChars: 64 },
  { type: 'error', path: ['message'], kind: 'string', maxChars: 4096 },
  { type: 'detached', path: ['by'], kind: 'string', maxChars: 256 },
];
