import { describe, expect, test } from 'vitest';
import { parseConfig, resolveSettings } from '../../src/client/config.js';
import { formatProblem, type ConfigProblem } from '../../src/client/config-schema.js';

function problems(text: string): ConfigProblem[] {
  return parseConfig(text).problems;
}

describe('precedence: flag > [host.<name>] > [defaults] > built-in', () => {
  const { config, problems: found } = parseConfig(`
[defaults]
no-redraw = true
oauth-timeout = 60
heartbeat-interval = 4
heartbeat-timeout = 20

[defaults.connect]
ssh-options = ["D=1"]
no-server-start = true

[host.devbox]
oauth-timeout = 90
heartbeat-timeout = 30
destination = "me@devbox.example.com"

[host.devbox.connect]
ssh-options = ["H=1", "H=2"]
no-server-start = false
`);

  test('the file is clean', () => expect(found).toEqual([]));

  test.each([
    // [what, host, flags, field, expected]
    ['built-in when nothing sets it', 'other', {}, 'forwardAgent', true],
    ['built-in ring buffer', 'other', {}, 'ringBufferBytes', 1 << 20],
    ['defaults over built-in', 'other', {}, 'noRedraw', true],
    ['defaults, seconds in ms', 'other', {}, 'oauthTimeoutMs', 60_000],
    ['host over defaults', 'devbox', {}, 'oauthTimeoutMs', 90_000],
    ['defaults where the host is silent', 'devbox', {}, 'heartbeatIntervalMs', 4_000],
    ['host timeout', 'devbox', {}, 'heartbeatTimeoutMs', 30_000],
    ['flag over host', 'devbox', { 'oauth-timeout': 5 }, 'oauthTimeoutMs', 5_000],
    ['flag over defaults', 'other', { 'no-redraw': false }, 'noRedraw', false],
    ['connect: defaults', 'other', {}, 'noServerStart', true],
    ['connect: host false over defaults true', 'devbox', {}, 'noServerStart', false],
    ['connect: flag over host', 'devbox', { 'no-server-start': true }, 'noServerStart', true],
    ['destination from the host table', 'devbox', {}, 'destination', 'me@devbox.example.com'],
    ['no destination elsewhere', 'other', {}, 'destination', undefined],
  ] as const)('%s', (_what, host, flags, field, expected) => {
    expect(resolveSettings(config, host, flags)[field]).toEqual(expected);
  });

  test('ssh-options accumulate: flags, then host, then defaults', () => {
    expect(resolveSettings(config, 'devbox', { 'ssh-options': ['F=1'] }).sshOptions).toEqual(['F=1', 'H=1', 'H=2', 'D=1']);
    expect(resolveSettings(config, 'other', {}).sshOptions).toEqual(['D=1']);
  });

  test('a host named like an Object property is not confused with one', () => {
    expect(resolveSettings(config, 'constructor', {}).destination).toBeUndefined();
  });
});

describe('checking', () => {
  test('a typo is an unknown key with its line and a suggestion', () => {
    const [p, ...rest] = problems('[defaults]\n\nheartbeat-intervall = 5\n');
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ kind: 'unknown-key', line: 3, key: 'defaults.heartbeat-intervall' });
    expect(formatProblem(p!)).toBe('line 3: defaults.heartbeat-intervall: unknown key; did you mean heartbeat-interval?');
  });

  test('an unknown table is named with its line', () => {
    expect(problems('[defaults]\n[hots.devbox]\nx = 1\n')).toMatchObject([{ kind: 'unknown-key', line: 2, key: 'hots' }]);
  });

  test('a wrong type says what was expected and what was found', () => {
    const [p] = problems('[defaults]\nno-escape = "yes"\n');
    expect(formatProblem(p!)).toBe('line 2: defaults.no-escape: wrong type: expected true or false, found the string "yes"');
  });

  test('out of range is not a wrong type', () => {
    const [p] = problems('[defaults]\nring-buffer-size = 10\n');
    expect(p!.kind).toBe('out-of-range');
    expect(formatProblem(p!)).toBe('line 2: defaults.ring-buffer-size: out of range: expected 65536 to 268435456 bytes, found the number 10');
    expect(problems('[defaults]\nheartbeat-interval = 0\n')[0]!.kind).toBe('out-of-range');
    expect(problems('[defaults]\nheartbeat-interval = "5"\n')[0]!.kind).toBe('wrong-type');
  });

  test('a connect key in the session table says where it belongs', () => {
    expect(formatProblem(problems('[host.devbox]\nssh-options = ["x"]\n')[0]!)).toBe('line 2: host.devbox.ssh-options: unknown key; ssh-options belongs in [host.devbox.connect]');
  });

  test('heartbeat-timeout under twice the interval is refused, and the built-ins are used', () => {
    const { config, problems: found } = parseConfig('[defaults]\nheartbeat-interval = 30\nheartbeat-timeout = 2\n');
    expect(found).toMatchObject([{ kind: 'incoherent', line: 3, key: 'defaults.heartbeat-timeout' }]);
    const s = resolveSettings(config, 'local');
    expect([s.heartbeatIntervalMs, s.heartbeatTimeoutMs]).toEqual([5_000, 15_000]);
  });

  test('a host whose interval clashes with the default timeout is refused for that host only', () => {
    const { config, problems: found } = parseConfig('[defaults]\nheartbeat-timeout = 20\n[host.slow]\nheartbeat-interval = 15\n');
    expect(found).toMatchObject([{ kind: 'incoherent', key: 'host.slow.heartbeat-timeout', line: 4 }]);
    expect(resolveSettings(config, 'slow').heartbeatIntervalMs).toBe(5_000);
    expect(resolveSettings(config, 'other').heartbeatTimeoutMs).toBe(20_000);
  });

  test('bad values are dropped and good ones beside them still apply', () => {
    const { config } = parseConfig('[defaults]\nno-redraw = true\noauth-timeout = -1\n');
    const s = resolveSettings(config, 'local');
    expect(s.noRedraw).toBe(true);
    expect(s.oauthTimeoutMs).toBe(180_000);
  });

  test('invalid TOML gives one problem with its line and the built-in settings', () => {
    const { config, problems: found } = parseConfig('[defaults]\nno-redraw = true\na = = 1\n');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'syntax', line: 3 });
    expect(resolveSettings(config, 'local').noRedraw).toBe(false);
  });

  test('every seed key is accepted with its documented default', () => {
    const text = `[defaults]
forward-agent = true
forward-open = true
no-escape = false
no-redraw = false
oauth-redirect = true
oauth-timeout = 180
heartbeat-interval = 5
heartbeat-timeout = 15
ring-buffer-size = 1048576
oauth-tunnel-idle-timeout = 5
open-command = "xdg-open"
[defaults.connect]
ssh-options = []
no-server-start = false
[host.devbox]
forward-agent = false
[host.devbox.connect]
ssh-options = ["IdentityFile=~/.ssh/devbox_tunnel_key"]
`;
    expect(problems(text)).toEqual([]);
    expect(resolveSettings(parseConfig(text).config, 'devbox').forwardAgent).toBe(false);
  });

  test('quoted host names and dotted keys are located', () => {
    expect(problems('[host."my.box"]\n\nbogus = 1\n')).toMatchObject([{ line: 3, key: 'host.my.box.bogus' }]);
    expect(problems('defaults.bogus = 1\n')).toMatchObject([{ line: 1, key: 'defaults.bogus' }]);
  });
});
