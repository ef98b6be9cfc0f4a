import { randomBytes } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { E2eScope, INNER_PROMPT, innerShell, lastRow, type TmuxTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const scope = new E2eScope();
afterEach(() => scope.cleanup());

/** Created in the background with the rc-free inner shell; returns what new -d printed. */
function created(target: string): string {
  const r = scope.world.run(['new', '-d', '-c', innerShell(scope.world), target]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

/** Asks the shell in front which session it runs in, by the name it was started with. */
async function sessionNameIn(t: TmuxTerminal): Promise<string> {
  // a fresh tag each time, so a repainted answer from an earlier attach does not count
  const tag = `in-session-${randomBytes(3).toString('hex')}`;
  t.line(`echo "${tag}=$GRITTY_SESSION_NAME"`);
  const screen = await t.waitFor(new RegExp(`^${tag}=\\S+$`, 'm'));
  return new RegExp(`^${tag}=(\\S+)$`, 'm').exec(screen)![1]!;
}

/** Matches `text` on a screen even where the pane wrapped it. */
function unwrapped(text: string): (screen: string) => boolean {
  return (screen) => screen.replace(/\n/g, '').includes(text);
}

async function detach(t: TmuxTerminal): Promise<void> {
  t.escape('.');
  await t.waitForOuterPrompt();
  t.line('clear');
  await t.waitFor((s) => !s.includes('in-session') && lastRow(s) !== '');
}

test('new -d with a host alone takes the next free number', () => {
  expect(created('local')).toBe('local:0');
  expect(created('local')).toBe('local:1');
  expect(scope.sessions().map((s) => s.name).sort()).toEqual(['0', '1']);
});

test('attach with no target attaches the session attached last, not the newest', async () => {
  created('local');
  created('local');
  const t = await scope.terminal();
  t.line('gritty attach local:0');
  await t.waitFor(INNER_PROMPT.trim());
  expect(await sessionNameIn(t)).toBe('0');
  await detach(t);

  t.line('gritty attach');
  await t.waitFor(INNER_PROMPT.trim());
  expect(await sessionNameIn(t)).toBe('0');
  expect(scope.sessions().find((s) => s.name === '0')?.attached).toBe(true);
  expect(scope.sessions().find((s) => s.name === '1')?.attached).toBe(false);
});

test('attach -c creates a missing session and attaches to it; without -c it fails', async () => {
  const t = await scope.terminal();
  // attach -c starts the daemon's $SHELL: make it the rc-free inner shell, not this host's
  // login profile (set after the pane started, as tmux runs the pane's command with $SHELL)
  scope.world.env.SHELL = innerShell(scope.world);
  created('local:other'); // a running daemon, so the plain attach fails for the name alone
  t.line('gritty attach local:fresh');
  // the message first: until the client has run, the screen still ends in the old prompt
  await t.waitFor(unwrapped('no session named fresh'));
  expect(await t.exitStatus()).toBe(1);
  expect(scope.sessions().map((s) => s.name)).toEqual(['other']);

  t.line('gritty attach -c local:fresh');
  await waitFor(() => scope.sessions().find((s) => s.name === 'fresh' && s.attached), { what: 'session fresh to be created and attached' });
  await t.waitFor(INNER_PROMPT.trim());
  expect(await sessionNameIn(t)).toBe('fresh');
});

test('a taken name is refused in one line naming the attach that works, and rename then attach by the new name works', async () => {
  created('local:dup');
  const dup = scope.sessions().find((s) => s.name === 'dup')!;
  const r = scope.world.run(['new', '-d', 'local:dup']);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/already exists/);
  // the fix it names must work as written: a bare name would mean a host
  expect(r.stderr).toContain('gritty attach local:dup');
  expect(scope.sessions()).toHaveLength(1);

  const renamed = scope.world.run(['rename', 'local:dup', 'kept']);
  expect(renamed.stderr).toBe('');
  expect(renamed.status).toBe(0);
  expect(scope.sessions().map((s) => s.name)).toEqual(['kept']);

  const t = await scope.terminal();
  t.line('gritty attach local:dup');
  await t.waitFor(unwrapped('no session named dup'));
  expect(await t.exitStatus()).toBe(1);
  t.line('clear; gritty attach local:kept');
  await t.waitFor(INNER_PROMPT.trim());
  t.line('echo marker-$((6*7))');
  await t.waitFor('marker-42');
  const listed = scope.sessions();
  expect(listed).toHaveLength(1);
  expect(listed[0]).toMatchObject({ name: 'kept', attached: true, pid: dup.pid });
});
