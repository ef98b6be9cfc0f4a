import { describe, expect, test } from 'vitest';
import { decode, encode } from '../../src/relay/codec.js';
import { GrittyError, isGrittyError } from '../../src/relay/errors.js';
import { MAX_NAME_CHARS, MAX_TERMINAL_DIMENSION, MIN_TERMINAL_DIMENSION, MESSAGE_SHAPES, type Message, type MessageType, type SessionInfo } from '../../src/relay/messages.js';
import { validate } from '../../src/relay/validate.js';

const info: SessionInfo = {
  id: 'abcd1234',
  name: 'work',
  pid: 4242,
  createdAt: 1_700_000_000_000,
  activeAt: 1_700_000_000_500,
  attached: true,
  attachedBy: 'laptop (0123abcd)',
  foreground: 'vim',
  cols: 80,
  rows: 24,
  offset: 123_456,
};
const spec = { name: 'work', command: 'make test', cwd: '/tmp', env: { TERM: 'xterm-256color', LANG: 'C.UTF-8' }, cols: 80, rows: 24 };

/** One valid example of every message type. */
const SAMPLES: { [T in MessageType]: Extract<Message, { type: T }> } = {
  hello: { type: 'hello', version: 1, caps: ['resume', 'screen-snapshot'], deviceId: 'dev-1', clientName: 'laptop' },
  'hello-ack': { type: 'hello-ack', version: 1, caps: ['resume'], serverId: 'srv', pid: 99, startedAt: 1_700_000_000_000 },
  error: { type: 'error', code: 'no-such-session', message: 'no session named x' },
  'kill-server': { type: 'kill-server' },
  new: { type: 'new', spec, attach: true },
  attach: {
    type: 'attach',
    target: 'work',
    cols: 120,
    rows: 40,
    resume: { token: 'tok', offset: 77, link: { channels: [{ id: 1, open: true, recv: 5, eof: false }], closed: [{ id: 2, reason: 'refused' }] } },
    create: spec,
    repaint: true,
  },
  tail: { type: 'tail', target: 'work', from: 'history' },
  list: { type: 'list' },
  'kill-session': { type: 'kill-session', target: 'work' },
  rename: { type: 'rename', target: 'work', name: 'play' },
  ok: { type: 'ok' },
  created: { type: 'created', session: info },
  sessions: { type: 'sessions', sessions: [info, { ...info, id: 'ffff0000', name: 'other', attached: false }] },
  attached: { type: 'attached', session: info, token: 'tok', offset: 10, lost: 0, input: 42, link: { channels: [], closed: [] } },
  snapshot: { type: 'snapshot', offset: 10, data: Buffer.from('\x1b[H\x1b[2Jhi'), lost: 5 },
  output: { type: 'output', offset: 2 ** 40, data: Buffer.from([0, 1, 254, 255]), ack: 3 },
  input: { type: 'input', offset: 3, data: Buffer.from('ls\r') },
  resize: { type: 'resize', cols: 200, rows: 60 },
  ping: { type: 'ping', ts: 12.5, ack: { channels: [{ id: 2, offset: 100, eof: true }] } },
  pong: { type: 'pong', ts: 12.5, ack: { input: 7 } },
  ack: { type: 'ack', input: 9, channels: [{ id: 1, offset: 65_536 }] },
  exit: { type: 'exit', code: 130, signal: 2 },
  detach: { type: 'detach' },
  repaint: { type: 'repaint' },
  detached: { type: 'detached', reason: 'taken-over', by: 'desktop' },
  'svc-channel': { type: 'svc-channel', kind: 'open-url', params: { url: 'https://example.com/' } },
  'ch-open': { type: 'ch-open', id: 1, kind: 'agent', params: { port: 8080, host: 'localhost', v6: false } },
  'ch-accept': { type: 'ch-accept', id: 1 },
  'ch-data': { type: 'ch-data', id: 1, offset: 0, data: Buffer.from('hello') },
  'ch-eof': { type: 'ch-eof', id: 1, offset: 5 },
  'ch-close': { type: 'ch-close', id: 1, reason: 'the laptop refused: forwarding is off' },
};

function refusal(value: unknown): GrittyError {
  try {
    validate(value);
  } catch (err) {
    if (isGrittyError(err)) return err;
    throw err;
  }
  throw new Error(`validate accepted ${JSON.stringify(value)}`);
}

function wire(value: unknown): unknown {
  return decode(encode(value));
}

describe('validate', () => {
  test('has a sample for every message type in the table', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(MESSAGE_SHAPES).sort());
  });

  test.each(Object.values(SAMPLES))('round-trips a $type message through encode, decode and validate', (msg) => {
    expect(validate(wire(msg))).toEqual(msg);
  });

  test('returns binary fields as Buffers', () => {
    const out = validate(wire(SAMPLES.output)) as Extract<Message, { type: 'output' }>;
    expect(Buffer.isBuffer(out.data)).toBe(true);
  });

  test('treats a missing optional field and nil alike, leaving the key out', () => {
    const bare = validate(wire({ type: 'attach', target: 'w', cols: 80, rows: 24, repaint: false }));
    expect(bare).toEqual({ type: 'attach', target: 'w', cols: 80, rows: 24, repaint: false });
    expect('resume' in bare).toBe(false);
    expect(validate(wire({ type: 'attach', target: 'w', cols: 80, rows: 24, resume: null, repaint: false }))).toEqual(bare);
  });

  test('drops fields that the shape does not name', () => {
    expect(validate(wire({ type: 'ping', ts: 1, extra: 'x' }))).toEqual({ type: 'ping', ts: 1 });
  });

  test('refuses a value that is not a map', () => {
    for (const value of [null, 1, 'hello', [1, 2], Buffer.from('x'), true]) {
      const err = refusal(value);
      expect(err.code).toBe('bad-message');
      expect(err.message).toMatch(/map/);
    }
  });

  test('refuses a map without a string type', () => {
    expect(refusal({ ts: 1 }).message).toMatch(/"type"/);
    expect(refusal({ type: 7 }).code).toBe('bad-message');
  });

  test('refuses an unknown type, naming it', () => {
    const err = refusal({ type: 'launch-missiles' });
    expect(err.code).toBe('bad-message');
    expect(err.message).toContain('launch-missiles');
  });

  test('refuses an unknown type without echoing more than 64 characters of it', () => {
    const err = refusal({ type: 'z'.repeat(10_000) });
    expect(err.message.length).toBeLessThan(200);
  });

  test('does not take a type from the object prototype', () => {
    for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(refusal({ type }).code).toBe('bad-message');
  });

  const wrong: [string, Record<string, unknown>, string][] = [
    ['a string where a number belongs', { type: 'ping', ts: 'now' }, 'ts'],
    ['a float where an unsigned integer belongs', { type: 'resize', cols: 80.5, rows: 24 }, 'cols'],
    ['a negative offset', { type: 'output', offset: -1, data: Buffer.alloc(0) }, 'offset'],
    ['a string where binary belongs', { type: 'input', data: 'ls\r' }, 'data'],
    ['a number where a boolean belongs', { type: 'new', spec, attach: 1 }, 'attach'],
    ['a string outside an enum', { type: 'tail', target: 'w', from: 'yesterday' }, 'from'],
    ['a nested field of the wrong type', { type: 'attach', target: 'w', cols: 1, rows: 1, resume: { token: 5, offset: 0 }, repaint: false }, 'resume.token'],
    ['an env value that is not a string', { type: 'new', spec: { ...spec, env: { TERM: 5 } }, attach: false }, 'spec.env.TERM'],
    ['an array item of the wrong type', { type: 'hello', version: 1, caps: ['ok', 3], deviceId: 'd', clientName: 'c' }, 'caps[1]'],
    ['an array where a map belongs', { type: 'created', session: [1, 2] }, 'session'],
    ['infinity where a number belongs', { type: 'ping', ts: Infinity }, 'ts'],
    ['a detach reason outside the list', { type: 'detached', reason: 'bored' }, 'reason'],
  ];
  test.each(wrong)('refuses %s, naming the field', (_what, value, field) => {
    const err = refusal(wire(value));
    expect(err.code).toBe('bad-message');
    expect(err.message).toContain(`field ${field}`);
  });

  const missing: [string, Record<string, unknown>, string][] = [
    ['hello without version', { type: 'hello', caps: [], deviceId: 'd', clientName: 'c' }, 'version'],
    ['attach without target', { type: 'attach', cols: 1, rows: 1, repaint: false }, 'target'],
    ['new without spec', { type: 'new', attach: false }, 'spec'],
    ['new with a spec missing cols', { type: 'new', spec: { env: {}, rows: 1 }, attach: false }, 'spec.cols'],
    ['output without data', { type: 'output', offset: 0 }, 'data'],
    ['rename without name', { type: 'rename', target: 'a' }, 'name'],
    ['error without message', { type: 'error', code: 'x' }, 'message'],
  ];
  test.each(missing)('refuses %s, naming the field', (_what, value, field) => {
    const err = refusal(wire(value));
    expect(err.code).toBe('bad-message');
    expect(err.message).toContain(`field ${field}`);
  });

  const oversized: [string, Record<string, unknown>, string][] = [
    ['a session name longer than the name limit', { type: 'rename', target: 'a', name: 'n'.repeat(MAX_NAME_CHARS + 1) }, 'name'],
    ['a target longer than 256 characters', { type: 'kill-session', target: 't'.repeat(257) }, 'target'],
    ['an error message longer than 4096 characters', { type: 'error', code: 'x', message: 'm'.repeat(4097) }, 'message'],
    ['a device id longer than 128 characters', { type: 'hello', version: 1, caps: [], deviceId: 'd'.repeat(129), clientName: 'c' }, 'deviceId'],
    ['more than 64 capabilities', { type: 'hello', version: 1, caps: Array.from({ length: 65 }, () => 'c'), deviceId: 'd', clientName: 'c' }, 'caps'],
    ['more than 256 env entries', { type: 'new', spec: { ...spec, env: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`V${i}`, 'x'])) }, attach: false }, 'spec.env'],
  ];
  test.each(oversized)('refuses %s, naming the field', (_what, value, field) => {
    const err = refusal(wire(value));
    expect(err.code).toBe('bad-message');
    expect(err.message).toContain(`field ${field}`);
  });

  test('clamps terminal dimensions beyond the limit instead of refusing them', () => {
    expect(validate(wire({ type: 'resize', cols: 10_000, rows: MAX_TERMINAL_DIMENSION }))).toEqual({ type: 'resize', cols: MAX_TERMINAL_DIMENSION, rows: MAX_TERMINAL_DIMENSION });
    const attach = validate(wire({ ...SAMPLES.attach, cols: 2 ** 32, rows: 5_000 })) as Extract<Message, { type: 'attach' }>;
    expect([attach.cols, attach.rows, attach.create?.cols]).toEqual([MAX_TERMINAL_DIMENSION, MAX_TERMINAL_DIMENSION, 80]);
    expect(refusal(wire({ type: 'resize', cols: -1, rows: 24 })).message).toContain('field cols');
  });

  test('raises terminal dimensions below the minimum to it, so a 0x0 terminal gets a usable size', () => {
    expect(validate(wire({ type: 'resize', cols: 0, rows: 0 }))).toEqual({ type: 'resize', cols: MIN_TERMINAL_DIMENSION, rows: MIN_TERMINAL_DIMENSION });
    expect(validate(wire({ type: 'resize', cols: 1, rows: 3 }))).toEqual({ type: 'resize', cols: MIN_TERMINAL_DIMENSION, rows: 3 });
  });

  test('accepts a session name of exactly the name limit', () => {
    const name = 'n'.repeat(MAX_NAME_CHARS);
    expect(validate(wire({ type: 'rename', target: 'a', name }))).toEqual({ type: 'rename', target: 'a', name });
  });
});
