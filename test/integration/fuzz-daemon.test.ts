import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decode } from '../../src/relay/codec.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, frameHeader } from '../../src/relay/frame.js';
import { MESSAGE_SHAPES, type Message, type MessageOf, type MessageType } from '../../src/relay/messages.js';
import { isPrintable } from '../../src/relay/printable.js';
import { anyMessage, controlString, hostileString, messageOf, withField, wrongFor, type FieldKind } from '../helpers/arbitraries.js';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { OutputTracker, RawClient, attachRaw, createSession, frameOf, helloOf, listSessions } from '../helpers/protocol.js';

/**
 * A real daemon fuzzed through raw sockets: 10 000 generated cases a run (100 batches
 * of 100, each batch over 100 connections at once), each one random, truncated,
 * oversized, mistyped or out of order, many with strings full of control characters.
 * Every case must end with exactly the error its input calls for, on its own
 * connection, while an attached client keeps its echo, a tail viewer keeps its output
 * stream contiguous, and `list` still answers with the same two sessions.
 */
const BATCHES = 100;
const CASES_PER_BATCH = 100;
/** Far above the daemon's reply time even under load; a hang shows as this timeout. */
const CASE_TIMEOUT_MS = 20_000;

let world: GrittyEnv;
let daemonPid: number;
let watcher: RawClient;
let echo: OutputTracker;
let tail: RawClient;
let ticks: OutputTracker;
let probes = 0;
/** The sessions this file made itself. */
const known = ['echo', 'ticker'];
/** Every error message the daemon sent a fuzz case. */
const errorMessages: string[] = [];

beforeAll(async () => {
  world = makeGrittyEnv();
  // verbose, so every refused request is logged and the log check below has lines to read
  const started = world.run(['-v', 'server']);
  if (started.status !== 0) throw new Error(`gritty server did not start: ${started.stderr}`);
  await createSession(world.ctlSocket, { name: 'echo', command: 'cat' });
  await createSession(world.ctlSocket, { name: 'ticker', command: 'i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.05; done' });
  const attach = await attachRaw(world.ctlSocket, 'echo');
  watcher = attach.client;
  echo = new OutputTracker(attach.attached.offset);
  const viewer = await RawClient.open(world.ctlSocket);
  daemonPid = viewer.ack.pid;
  tail = viewer.client;
  tail.send({ type: 'tail', target: 'ticker', from: 'now' });
  ticks = new OutputTracker((await tail.expect('attached')).offset);
  await expectHealthy();
});

afterAll(() => {
  watcher?.close();
  tail?.close();
  world?.cleanup();
});

/** The attached client's line comes back, the tail's stream moves on contiguously, list answers with both sessions. */
async function expectHealthy(): Promise<void> {
  const line = `probe-${++probes}`;
  watcher.send({ type: 'input', data: Buffer.from(`${line}\r`) });
  await echo.readUntil(watcher, (text) => text.split(`${line}\r\n`).length >= 3, CASE_TIMEOUT_MS);
  const seen = ticks.offset;
  await ticks.readUntil(tail, () => ticks.offset > seen, CASE_TIMEOUT_MS);
  // and no case made a session
  expect((await listSessions(world.ctlSocket)).map((s) => s.name).sort()).toEqual([...known].sort());
  expect(watcher.isClosed).toBe(false);
  expect(tail.isClosed).toBe(false);
}

/** One fuzz case: optional handshake, then bytes, then optionally our end of the socket. */
interface Case {
  what: string;
  hello: MessageOf<'hello'> | undefined;
  bytes: Buffer;
  /** Half-close after the bytes, as a peer that stops mid-frame does. */
  end: boolean;
  code: string;
  /** Text the error message must hold. */
  says: string | RegExp;
}

const REQUESTS: readonly MessageType[] = ['new', 'attach', 'tail', 'list', 'kill-session', 'rename', 'kill-server'];
const NOT_REQUESTS = (Object.keys(MESSAGE_SHAPES) as MessageType[]).filter((t) => !REQUESTS.includes(t) && t !== 'error');
const NOT_HELLO = (Object.keys(MESSAGE_SHAPES) as MessageType[]).filter((t) => t !== 'hello' && t !== 'error');

const helloArb = fc.record({ clientName: hostileString(256), deviceId: hostileString(128) }).map((h) => ({ ...helloOf(), ...h }));
const maybeHello = fc.option(helloArb, { nil: undefined });

function bodyFrame(body: Buffer): Buffer {
  return Buffer.concat([frameHeader(body.length), body]);
}

/** A length over the limit, then whatever. */
const oversized: fc.Arbitrary<Case> = fc
  .tuple(maybeHello, fc.integer({ min: MAX_FRAME_BYTES + 1, max: 0xffff_ffff }), fc.uint8Array({ maxLength: 64 }))
  .map(([hello, length, tail]) => {
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(length, 0);
    return { what: `length ${length}`, hello, bytes: Buffer.concat([header, Buffer.from(tail)]), end: false, code: 'frame-too-large', says: String(length) };
  });

/** A frame cut short, then the peer's end of the socket. */
const truncated: fc.Arbitrary<Case> = fc.tuple(maybeHello, anyMessage(), fc.nat()).map(([hello, msg, cutSeed]) => {
  const whole = frameOf(msg);
  const cut = 1 + (cutSeed % (whole.length - 1));
  return { what: `${msg.type} cut at ${cut} of ${whole.length}`, hello, bytes: whole.subarray(0, cut), end: true, code: 'bad-frame', says: 'middle of a frame' };
});

/** A whole frame whose body is not msgpack. */
const notMsgpack: fc.Arbitrary<Case> = fc
  .tuple(maybeHello, fc.uint8Array({ minLength: 1, maxLength: 128 }).map((a) => Buffer.from(a)))
  .filter(([, body]) => decodes(body) === false)
  .map(([hello, body]) => ({ what: `body ${body.toString('hex')}`, hello, bytes: bodyFrame(body), end: false, code: 'bad-frame', says: 'not valid msgpack' }));

/** Valid msgpack that is no message: not a map, no type, an unknown type. */
const notAMessage: fc.Arbitrary<Case> = fc
  .tuple(
    maybeHello,
    fc.oneof(
      fc.oneof(fc.integer(), fc.string({ maxLength: 16 }), fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), fc.constant(null)),
      fc.record({ kind: fc.string({ maxLength: 8 }) }),
      fc.record({ type: fc.oneof(fc.integer(), fc.boolean()) }),
      fc.record({ type: hostileString(80).filter((t) => !(t in MESSAGE_SHAPES)) }),
    ),
  )
  .map(([hello, value]) => ({ what: `value ${JSON.stringify(value)}`, hello, bytes: frameOf(value), end: false, code: 'bad-message', says: /map|type/ }));

interface Mutable {
  type: MessageType;
  path: string[];
  kind: FieldKind;
}

const HELLO_FIELDS: Mutable[] = [
  { type: 'hello', path: ['version'], kind: 'uint' },
  { type: 'hello', path: ['caps'], kind: 'array' },
  { type: 'hello', path: ['deviceId'], kind: 'string' },
  { type: 'hello', path: ['clientName'], kind: 'string' },
];
const REQUEST_FIELDS: Mutable[] = [
  { type: 'new', path: ['spec'], kind: 'map' },
  { type: 'new', path: ['spec', 'name'], kind: 'string' },
  { type: 'new', path: ['spec', 'command'], kind: 'string' },
  { type: 'new', path: ['spec', 'env'], kind: 'map' },
  { type: 'new', path: ['spec', 'cols'], kind: 'uint' },
  { type: 'new', path: ['attach'], kind: 'bool' },
  { type: 'attach', path: ['target'], kind: 'string' },
  { type: 'attach', path: ['rows'], kind: 'uint' },
  { type: 'attach', path: ['resume'], kind: 'map' },
  { type: 'attach', path: ['repaint'], kind: 'bool' },
  { type: 'tail', path: ['target'], kind: 'string' },
  { type: 'kill-session', path: ['target'], kind: 'string' },
  { type: 'rename', path: ['name'], kind: 'string' },
];

/** One field of the handshake or of a request holds a value of the wrong kind. */
const mistyped: fc.Arbitrary<Case> = fc.oneof(
  fc.constantFrom(...HELLO_FIELDS).map((m) => [undefined, m] as const),
  fc.tuple(helloArb, fc.constantFrom(...REQUEST_FIELDS)),
).chain(([hello, field]) =>
  fc.tuple(messageOf(field.type), wrongFor(field.kind)).map(([msg, wrong]): Case => {
    const mutated = withField(msg, field.path, wrong);
    const path = field.path.join('.');
    return { what: `${field.type}.${path} = ${String(wrong)}`, hello, bytes: frameOf(mutated), end: false, code: 'bad-message', says: `field ${path}` };
  }),
);

/** A valid message where it does not belong: anything but hello first, a non-request after it. */
const outOfOrder: fc.Arbitrary<Case> = fc.oneof(
  anyMessage(NOT_HELLO).map((msg): Case => ({ what: `${msg.type} before hello`, hello: undefined, bytes: frameOf(msg), end: false, code: 'bad-message', says: 'expected hello' })),
  fc.tuple(helloArb, anyMessage([...NOT_REQUESTS, 'hello'])).map(([hello, msg]): Case => ({ what: `${msg.type} as the request`, hello, bytes: frameOf(msg), end: false, code: 'bad-message', says: 'is not a request' })),
  // an error from the peer ends its own request with that error
  fc.tuple(maybeHello, fc.stringMatching(/^[a-z-]{1,32}$/), fc.stringMatching(/^[ -~]{0,80}$/)).map(([hello, code, message]): Case => ({
    what: `error ${code}`,
    hello,
    bytes: frameOf({ type: 'error', code, message }),
    end: false,
    code,
    says: message,
  })),
);

/** Valid requests naming things with control characters: refused by name, and the names must come back escaped. */
const hostileNames: fc.Arbitrary<Case> = fc.tuple(helloArb, controlString(64)).chain(([hello, name]) =>
  fc.constantFrom<Case>(
    { what: `attach ${JSON.stringify(name)}`, hello, bytes: frameOf({ type: 'attach', target: name, cols: 80, rows: 24, repaint: false }), end: false, code: 'no-such-session', says: 'no session named' },
    { what: `tail ${JSON.stringify(name)}`, hello, bytes: frameOf({ type: 'tail', target: name, from: 'now' }), end: false, code: 'no-such-session', says: 'no session named' },
    { what: `kill-session ${JSON.stringify(name)}`, hello, bytes: frameOf({ type: 'kill-session', target: name }), end: false, code: 'no-such-session', says: 'no session named' },
    { what: `rename ${JSON.stringify(name)}`, hello, bytes: frameOf({ type: 'rename', target: name, name: 'x' }), end: false, code: 'no-such-session', says: 'no session named' },
    { what: `rename echo to ${JSON.stringify(name)}`, hello, bytes: frameOf({ type: 'rename', target: 'echo', name }), end: false, code: 'invalid-name', says: 'invalid session name' },
    {
      what: `new ${JSON.stringify(name)}`,
      hello,
      bytes: frameOf({ type: 'new', spec: { name, command: 'true', env: {}, cols: 80, rows: 24 }, attach: false }),
      end: false,
      code: 'invalid-name',
      says: 'invalid session name',
    },
    {
      what: `attach -c ${JSON.stringify(name)}`,
      hello,
      bytes: frameOf({ type: 'attach', target: name, cols: 80, rows: 24, repaint: false, create: { command: 'true', env: {}, cols: 80, rows: 24 } }),
      end: false,
      code: 'invalid-name',
      says: 'invalid session name',
    },
  ),
);

const anyCase = fc.oneof(oversized, truncated, notMsgpack, notAMessage, mistyped, outOfOrder, hostileNames);

/** Runs one case on a connection of its own; returns everything the daemon sent before closing it. */
async function run(c: Case): Promise<Message[]> {
  const client = await RawClient.connect(world.ctlSocket);
  try {
    const got: Message[] = [];
    if (c.hello !== undefined) {
      client.send(c.hello);
      got.push(await client.expect('hello-ack', CASE_TIMEOUT_MS));
    }
    client.sendRaw(c.bytes);
    if (c.end) client.socket.end();
    got.push(...(await client.drainUntilClosed(CASE_TIMEOUT_MS)));
    return got;
  } finally {
    client.close();
  }
}

function check(c: Case, got: Message[]): void {
  const expected = [...(c.hello === undefined ? [] : ['hello-ack']), 'error'];
  expect(got.map((m) => m.type), c.what).toEqual(expected);
  const err = got[got.length - 1] as MessageOf<'error'>;
  errorMessages.push(err.message);
  expect(err.code, `${c.what}: ${err.message}`).toBe(c.code);
  if (typeof c.says === 'string') expect(err.message, c.what).toContain(c.says);
  else expect(err.message, c.what).toMatch(c.says);
}

test(`${BATCHES * CASES_PER_BATCH} hostile cases each end with their own error on their own connection; every other session carries on`, { timeout: 240_000 }, async () => {
  let batches = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(anyCase, { minLength: CASES_PER_BATCH, maxLength: CASES_PER_BATCH }), async (cases) => {
      batches++;
      const results = await Promise.all(cases.map(run));
      cases.forEach((c, i) => check(c, results[i]!));
      await expectHealthy();
    }),
    { numRuns: BATCHES, endOnFailure: true },
  );
  expect(batches).toBe(BATCHES);
  expect(errorMessages.length).toBeGreaterThanOrEqual(BATCHES * CASES_PER_BATCH);
  // the same daemon answered throughout
  const { client, ack } = await RawClient.open(world.ctlSocket);
  client.close();
  expect(ack.pid).toBe(daemonPid);
  // the tail saw a contiguous stream (OutputTracker checks each frame's offset) of consecutive ticks
  const seen = [...ticks.text().matchAll(/tick (\d+)\r\n/g)].map((m) => Number(m[1]));
  expect(seen.length).toBeGreaterThan(1);
  seen.forEach((n, i) => i > 0 && expect(n).toBe(seen[i - 1]! + 1));
});

/**
 * What an attached client may send; anything else on the session stream is out of
 * order. Acks and channel frames are named too, for a protocol that has them.
 */
const STREAM_MESSAGES: readonly string[] = ['input', 'resize', 'ping', 'pong', 'repaint', 'detach', 'ack', 'ch-open', 'ch-accept', 'ch-data', 'ch-eof', 'ch-close'];
const NOT_STREAM = (Object.keys(MESSAGE_SHAPES) as MessageType[]).filter((t) => !STREAM_MESSAGES.includes(t) && t !== 'error');

test('an attached client that sends a message out of place on the session stream gets bad-message, and the session carries on', { timeout: 120_000 }, async () => {
  await createSession(world.ctlSocket, { name: 'stream', command: 'cat' });
  known.push('stream');
  await fc.assert(
    fc.asyncProperty(anyMessage(NOT_STREAM), async (msg) => {
      const { client } = await attachRaw(world.ctlSocket, 'stream');
      try {
        client.send(msg);
        const got = await client.drainUntilClosed(CASE_TIMEOUT_MS);
        expect(got.map((m) => (m.type === 'error' ? `error ${m.code}` : m.type)), msg.type).toEqual(['error bad-message']);
      } finally {
        client.close();
      }
    }),
    { numRuns: 50, endOnFailure: true },
  );
  await expectHealthy();
  const { client, attached } = await attachRaw(world.ctlSocket, 'stream');
  const out = new OutputTracker(attached.offset);
  client.send({ type: 'input', data: Buffer.from('still-streaming\r') });
  await out.readUntil(client, (text) => text.split('still-streaming\r\n').length >= 3, CASE_TIMEOUT_MS);
  client.close();
});

test('a client attached under the longest hostile name leaves every reply within the schema: list, and the notice to the client it took over', { timeout: 120_000 }, async () => {
  await createSession(world.ctlSocket, { name: 'named', command: 'cat' });
  known.push('named');
  let previous = (await attachRaw(world.ctlSocket, 'named')).client;
  try {
    await fc.assert(
      fc.asyncProperty(hostileString(256), hostileString(128), async (clientName, deviceId) => {
        const next = await RawClient.connect(world.ctlSocket);
        next.send({ ...helloOf(), clientName, deviceId });
        await next.expect('hello-ack', CASE_TIMEOUT_MS);
        next.send({ type: 'attach', target: 'named', cols: 80, rows: 24, repaint: false });
        await next.expect('attached', CASE_TIMEOUT_MS);
        // RawClient validates every frame it receives with the receiver's own schema
        const notice = await previous.until('detached', CASE_TIMEOUT_MS);
        expect(notice.msg.reason).toBe('taken-over');
        previous.close();
        previous = next;
        const listed = await listSessions(world.ctlSocket);
        expect(listed.find((s) => s.name === 'named')?.attached).toBe(true);
      }),
      { numRuns: 40, endOnFailure: true },
    );
  } finally {
    previous.close();
  }
  await expectHealthy();
});

test('no line of the daemon log holds a raw control character after the fuzz', () => {
  // the log is capped at 1 MiB with one rotated copy: both hold what is left of the fuzz
  const dir = join(world.env.XDG_STATE_HOME!, 'gritty');
  const log = ['daemon.log.1', 'daemon.log'].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '')).join('');
  const lines = log.split('\n').slice(0, -1);
  // the verbose log recorded the refusals, so there is something to check: more than a log's cap holds of them
  expect(lines.filter((l) => l.includes('request refused')).length).toBeGreaterThanOrEqual(3_000);
  const raw = lines.filter((l) => !isPrintable(l));
  expect(raw.slice(0, 5).map((l) => JSON.stringify(l)), `${raw.length} of ${lines.length} lines`).toEqual([]);
  // and no forged line: every line starts with a timestamp, the pid and a level
  const forged = lines.filter((l) => !/^\d{4}-\d\d-\d\dT[\d:.]+Z \d+ (debug|info|warn|error) /.test(l));
  expect(forged.slice(0, 5)).toEqual([]);
});

function decodes(body: Buffer): boolean {
  try {
    decode(body);
    return true;
  } catch {
    return false;
  }
}
