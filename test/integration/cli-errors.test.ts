import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nodePty from 'node-pty';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { RawClient, attachRaw } from '../helpers/protocol.js';

/** Bad input on the command line: one line on stderr that says what to do, nothing on stdout. */
let world: GrittyEnv;
const opened: RawClient[] = [];

beforeAll(() => {
  world = makeGrittyEnv();
  for (const name of ['a', 'b']) {
    const r = world.run(['new', '-d', `local:${name}`]);
    expect(r.status, r.stderr).toBe(0);
  }
});

afterAll(() => {
  for (const client of opened) client.close();
  world?.cleanup();
});

function names(): string[] {
  const r = world.run(['ls', '--json', 'local']);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { name: string }[]).map((s) => s.name).sort();
}

/** Runs the CLI with its stdin and stdout on a terminal and its stderr in a file. */
function runInTerminal(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const errFile = join(world.root, `stderr-${Date.now()}-${Math.random()}.txt`);
  const quoted = [process.execPath, GRITTY_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const term = nodePty.spawn('/bin/sh', ['-c', `exec ${quoted} 2>'${errFile}'`], {
    cols: 80,
    rows: 24,
    env: world.env as Record<string, string>,
  });
  let stdout = '';
  term.onData((d) => (stdout += d));
  return new Promise((resolve) => {
    term.onExit(({ exitCode }) => resolve({ status: exitCode, stdout, stderr: readFileSync(errFile, 'utf8') }));
  });
}

/** Terminal output with control sequences (the client restoring the terminal) taken out. */
function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b[=>]/g, '').replace(/[\r\n]/g, '');
}

function expectOneLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.replace(/\r/g, '')).filter((l) => l.trim() !== '');
  expect(lines, JSON.stringify(stderr)).toHaveLength(1);
  // nothing from the input echoed raw to the terminal: no control characters
  // eslint-disable-next-line no-control-regex
  expect(lines[0]).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  return lines[0]!;
}

describe('an unknown session', () => {
  test.each([
    [['tail', 'local:nope']],
    [['kill-session', 'local:nope']],
    [['rename', 'local:nope', 'other']],
  ])('gritty %j exits 1 pointing at gritty ls, with nothing on stdout', (args) => {
    const r = world.run(args);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(expectOneLine(r.stderr)).toMatch(/no session named nope.*gritty ls/);
  });

  test('gritty attach exits 1 pointing at gritty ls, and writes no text to the terminal', async () => {
    const r = await runInTerminal(['attach', 'local:nope']);
    expect(r.status).toBe(1);
    expect(visible(r.stdout)).toBe('');
    expect(expectOneLine(r.stderr)).toMatch(/no session named nope.*gritty ls/);
  });
});

describe('an invalid session name', () => {
  const bad: [string, string, RegExp][] = [
    ['empty', '', /no session after the colon|empty/],
    ['with a control character', 'a\x01b', /invalid session name "a\\u0001b".*letters, digits/],
    ['with a space', 'my session', /invalid session name.*letters, digits/],
    ['with a colon inside', 'a:b', /invalid session name "a:b".*letters, digits/],
    ['with a leading dash', '-x', /invalid session name "-x".*not starting with -/],
    ['with an escape sequence', '\x1b[2J', /invalid session name/],
  ];

  test.each(bad)('%s is refused by new with exit 2 and nothing created', (_what, name, message) => {
    const r = world.run(['new', '-d', `local:${name}`]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(expectOneLine(r.stderr)).toMatch(message);
    expect(names()).toEqual(['a', 'b']);
  });

  test.each(bad)('%s is refused by rename with exit 2 and the name kept', (_what, name) => {
    const r = world.run(['rename', 'local:a', '--', name]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(expectOneLine(r.stderr)).toMatch(/session name/);
    expect(names()).toEqual(['a', 'b']);
  });
});

describe('a taken name', () => {
  test('new refuses it with exit 1, suggesting attach or another name', () => {
    const r = world.run(['new', '-d', 'local:a']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(expectOneLine(r.stderr)).toMatch(/already exists.*gritty attach local:a.*another name/);
    expect(names()).toEqual(['a', 'b']);
  });

  test('rename refuses it with exit 1, suggesting another name', () => {
    const r = world.run(['rename', 'local:a', 'b']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(expectOneLine(r.stderr)).toMatch(/already exists.*another name/);
    expect(names()).toEqual(['a', 'b']);
  });
});

describe('rename and kill-session', () => {
  test('a renamed session is attached by its new name and no longer by its old one', async () => {
    const before = (JSON.parse(world.run(['ls', '--json', 'local']).stdout) as { id: string; name: string }[]).find((s) => s.name === 'a')!;
    const r = world.run(['rename', 'local:a', 'renamed']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(names()).toEqual(['b', 'renamed']);

    const { client, attached } = await attachRaw(world.ctlSocket, 'renamed');
    opened.push(client);
    expect(attached.session.id).toBe(before.id);
    expect(attached.session.name).toBe('renamed');
    await expect(attachRaw(world.ctlSocket, 'a')).rejects.toThrow(/no-such-session/);
  });

  test('kill-session ends the session: its client is told, and ls no longer lists it', async () => {
    const { client } = await attachRaw(world.ctlSocket, 'b');
    opened.push(client);
    const r = world.run(['kill-session', 'local:b']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const { msg } = await client.until('detached');
    expect(msg.reason).toBe('killed');
    await client.closed;
    expect(names()).not.toContain('b');
    const again = world.run(['kill-session', 'local:b']);
    expect(again.status).toBe(1);
  });
});
