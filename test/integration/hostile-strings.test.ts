import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as nodePty from 'node-pty';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { CLIENT_CAPABILITIES, MAX_CLIENT_LABEL_CHARS, PROTOCOL_VERSION } from '../../src/relay/messages.js';
import { GRITTY_BIN, makeServerWorld, type GrittyEnv } from '../helpers/daemon.js';
import { RawClient, createSession, listSessions } from '../helpers/protocol.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Strings a peer or a process chose (a client's name, a program's name) reach people
 * through ls, a taken-over client and the daemon log: always shown escaped, and always
 * within the limits the receiving side checks.
 */
const EVIL = 'evil\x1b[2J\x1b]0;PWNED\x07\x1b[31mRED\nFAKE … forged log line';
const EVIL_SHOWN = 'evil\\e[2J\\e]0;PWNED\\x07\\e[31mRED\\nFAKE … forged log line';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

let world: GrittyEnv;
const opened: RawClient[] = [];
const terminals: nodePty.IPty[] = [];

beforeEach(() => {
  world = makeServerWorld();
});

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
  for (const t of terminals.splice(0)) t.kill('SIGKILL');
  world.cleanup();
});

async function helloAs(clientName: string): Promise<RawClient> {
  const client = await RawClient.connect(world.ctlSocket);
  opened.push(client);
  client.send({ type: 'hello', version: PROTOCOL_VERSION, caps: [...CLIENT_CAPABILITIES], deviceId: 'test-device', clientName });
  await client.expect('hello-ack');
  return client;
}

/** The real client, attached in a terminal; its stderr goes to a file so what it prints can be read exactly. */
function attachInTerminal(target: string): { term: nodePty.IPty; stderrFile: string; screen: () => string } {
  const stderrFile = join(world.root, `stderr-${terminals.length}.txt`);
  const term = nodePty.spawn('/bin/sh', ['-c', `exec '${process.execPath}' '${GRITTY_BIN}' attach ${target} 2>'${stderrFile}'`], {
    cols: 80,
    rows: 24,
    env: world.env as Record<string, string>,
  });
  terminals.push(term);
  let screen = '';
  term.onData((d) => (screen += d));
  return { term, stderrFile, screen: () => screen };
}

function ls(args: string[] = []): string {
  const r = world.run(['ls', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

test('a hostile client name is shown escaped by ls and by the client it took over, and forges no log line', async () => {
  await createSession(world.ctlSocket, { name: 'victim', command: 'cat' });
  const victim = attachInTerminal('local:victim');
  // cat echoes what is typed once the client has its stream
  victim.term.write('ready-1\r');
  await waitFor(() => victim.screen().includes('ready-1\r\nready-1'), { what: 'the real client to attach', describe: () => JSON.stringify(victim.screen()) });
  const exited = new Promise<number>((resolve) => victim.term.onExit(({ exitCode }) => resolve(exitCode)));

  const evil = await helloAs(EVIL);
  evil.send({ type: 'attach', target: 'victim', cols: 80, rows: 24, repaint: false });
  const attached = await evil.expect('attached');
  expect(attached.session.attachedBy).toBe(`${EVIL} (test-dev)`);

  const code = await exited;
  expect(code, readFileSync(victim.stderrFile, 'utf8')).toBe(0);
  const said = readFileSync(victim.stderrFile, 'utf8');
  expect(said).toContain(`[detached: session victim was taken over by ${EVIL_SHOWN} (test-dev)]`);
  expect(said).not.toMatch(/[\x1b\x07]/);
  expect(victim.screen()).not.toContain('\x1b]0;PWNED');
  expect(victim.screen()).not.toContain('\x1b[2J');
  expect(victim.screen()).not.toContain('\x1b[31m');

  const table = ls();
  expect(table).not.toMatch(CONTROL);
  // the table fits 80 columns, so the name is cut: what shows of it is escaped
  expect(table).toContain('local:victim  evil\\e[2J');
  const listed = JSON.parse(ls(['--json'])) as { name: string; attachedBy: string }[];
  expect(listed.find((s) => s.name === 'victim')?.attachedBy).toBe(`${EVIL} (test-dev)`);

  const log = readFileSync(join(world.root, 'state', 'gritty', 'daemon.log'), 'utf8');
  expect(log).toContain(`client ${EVIL_SHOWN} (test-dev) attached to victim`);
  expect(log).not.toMatch(CONTROL);
  for (const line of log.split('\n').slice(0, -1)) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \d+ (debug|info|warn|error) /);
});

test('a client name of the longest length allowed still fits the holder field, and ls keeps working', async () => {
  await createSession(world.ctlSocket, { name: 'long', command: 'cat' });
  const longest = 'n'.repeat(256);
  const first = await helloAs(longest);
  first.send({ type: 'attach', target: 'long', cols: 80, rows: 24, repaint: false });
  const attached = await first.expect('attached');
  expect(attached.session.attachedBy).toHaveLength(MAX_CLIENT_LABEL_CHARS);
  expect(attached.session.attachedBy).toMatch(/^n+ \(test-dev\)$/);

  const listed = JSON.parse(ls(['--json'])) as { name: string; attachedBy: string }[];
  expect(listed.find((s) => s.name === 'long')?.attachedBy).toBe(attached.session.attachedBy);

  // the takeover notice carries the same label, and the client it goes to accepts it
  const second = await helloAs(longest);
  second.send({ type: 'attach', target: 'long', cols: 80, rows: 24, repaint: false });
  await second.expect('attached');
  const { msg } = await first.until('detached');
  expect(msg.by).toBe(attached.session.attachedBy);
  expect(first.protocolError).toBeUndefined();
});

test('a program with an escape sequence in its name shows escaped in the foreground column', async () => {
  const program = join(world.root, 'x\x1b[31mred');
  copyFileSync('/bin/sleep', program);
  await createSession(world.ctlSocket, { name: 'fg', command: `exec '${program}' 1000` });
  await waitFor(async () => (await listSessions(world.ctlSocket)).find((s) => s.name === 'fg')?.foreground === 'x\x1b[31mred', {
    what: 'the session to list the program as its foreground',
  });
  const table = ls();
  expect(table).not.toMatch(CONTROL);
  expect(table).toMatch(/local:fg .* x\\e\[31mred$/m);
  const listed = ls(['--json']);
  expect(listed).not.toMatch(CONTROL);
  expect((JSON.parse(listed) as { name: string; foreground: string }[]).find((s) => s.name === 'fg')?.foreground).toBe('x\x1b[31mred');
});
