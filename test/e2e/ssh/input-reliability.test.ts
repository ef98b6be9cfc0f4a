import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { signalAll } from '../../helpers/processes.js';
import { RemoteWorlds, fullHistory, startClient } from '../../helpers/remote-world.js';
import type { GrittyEnv } from '../../helpers/daemon.js';
import { tunnelSshes, type Sshd } from '../../helpers/sshd.js';
import { INNER_PROMPT, type TmuxTerminal } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';

let worlds: RemoteWorlds | undefined;
afterEach(() => {
  worlds?.cleanup();
  worlds = undefined;
});

/** A laptop attached to devbox:work (a bare bash) through a private sshd, at its prompt. */
async function attachedOverSsh(options: { cols: number; transport?: 'pipe' | 'tcp' }): Promise<{ laptop: GrittyEnv; term: TmuxTerminal; sshd: Sshd }> {
  worlds = RemoteWorlds.start({ transport: options.transport });
  const laptop = worlds.laptop();
  const term = await worlds.terminal(laptop, { cols: options.cols });
  startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
  await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
  return { laptop, term, sshd: worlds.sshd };
}

/** Bytes in the pasted line: more than the input window, so part of it is in flight when the tunnel dies. */
const PASTE_BYTES = 600 * 1024;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Bytes `pid` has read through read(2) and friends so far. */
function bytesRead(pid: number): number {
  const match = /^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  if (match === null) throw new Error(`no rchar for ${pid}`);
  return Number(match[1]);
}

test('a long line pasted into a silent network, whose tunnel ssh is then killed with -9, reaches the shell exactly: the same bytes, none lost or doubled', async () => {
  const { laptop, term, sshd } = await attachedOverSsh({ cols: 120 });

  // one line, no newline and no ~ (the escape key): base64 letters only
  const paste = Buffer.from(randomBytes((PASTE_BYTES * 3) / 4).toString('base64').replace(/[+/=]/g, 'x'));
  const pasteFile = join(laptop.root, 'paste.txt');
  writeFileSync(pasteFile, paste);
  const received = join(laptop.root, 'received.txt');
  const ready = join(laptop.root, 'ready');
  // raw mode: every byte reaches head as typed
  term.line(`stty raw -echo; touch ${ready}; head -c ${paste.length} > ${received}; stty sane; echo pasted-$((6*7))`);
  await waitFor(() => existsSync(ready), { what: 'the session to be ready for the paste' });

  // the network goes silent; the paste goes into the tunnel's ssh and no further
  const [ssh] = tunnelSshes(laptop);
  expect(ssh).toBeDefined();
  signalAll(
    sshd.sshdServing(ssh!.pid).map((p) => p.pid),
    'SIGSTOP',
  );
  const before = bytesRead(ssh!.pid);
  term.tmux(['load-buffer', pasteFile]);
  term.tmux(['paste-buffer', '-t', 'main']);
  await waitFor(() => bytesRead(ssh!.pid) - before >= 128 * 1024, { what: 'ssh to hold a good part of the paste' });
  // whatever ssh holds dies with it
  process.kill(ssh!.pid, 'SIGKILL');

  await term.waitFor(/^pasted-42$/m, { timeoutMs: 40_000 });
  const got = readFileSync(received);
  expect({ length: got.length, sha256: sha256(got) }).toEqual({ length: paste.length, sha256: sha256(paste) });
  const [replacement] = tunnelSshes(laptop);
  expect(replacement?.pid).not.toBe(ssh!.pid);
});

test('a line typed once, just after the network went silent, runs exactly once when the link is replaced', async () => {
  const { laptop, term, sshd } = await attachedOverSsh({ cols: 100 });
  const marker = join(laptop.root, 'ran');
  const [ssh] = tunnelSshes(laptop);
  const serving = sshd.sshdServing(ssh!.pid);
  expect(serving.length).toBeGreaterThan(0);

  signalAll(
    serving.map((p) => p.pid),
    'SIGSTOP',
  );
  const typedAt = Date.now();
  // typed once, never retyped: only the link may deliver it
  term.line(`echo x >> ${marker}; echo typed-$((6*7))`);
  await term.waitFor(/^typed-42$/m, { timeoutMs: 30_000 });
  console.log(`the line typed into the silent network ran ${Date.now() - typedAt} ms later`);
  expect(readFileSync(marker, 'utf8')).toBe('x\n');
  expect(fullHistory(term, 1_000).match(/^typed-42$/gm)).toHaveLength(1);
  const [replacement] = tunnelSshes(laptop);
  expect(replacement?.pid).not.toBe(ssh!.pid);
});

test('a line typed into a network that drops every packet (iptables DROP) is noticed, and runs exactly once when the network is back', async () => {
  const { laptop, term, sshd } = await attachedOverSsh({ cols: 100, transport: 'tcp' });
  const marker = join(laptop.root, 'ran');
  const [ssh] = tunnelSshes(laptop);
  expect(ssh).toBeDefined();

  sshd.silence();
  term.line(`echo x >> ${marker}; echo typed-$((6*7))`);
  // the client notices the silence while the user types, and its tunnel is replaced
  await waitFor(() => tunnelSshes(laptop).some((p) => p.pid !== ssh!.pid), { what: 'the silent link to be declared dead and ssh replaced', timeoutMs: 20_000 });
  expect(existsSync(marker)).toBe(false);
  sshd.unsilence();

  await term.waitFor(/^typed-42$/m, { timeoutMs: 40_000 });
  expect(readFileSync(marker, 'utf8')).toBe('x\n');
  expect(fullHistory(term, 1_000).match(/^typed-42$/gm)).toHaveLength(1);
});

test('typing past the hold while the network is down is dropped with a note on the status line, and exactly what was held arrives', async () => {
  const { laptop, term, sshd } = await attachedOverSsh({ cols: 200, transport: 'tcp' });
  const held = 1 << 20;
  const paste = Buffer.from(randomBytes(((held * 3) / 2 * 3) / 4).toString('base64').replace(/[+/=]/g, 'x'));
  const pasteFile = join(laptop.root, 'paste.txt');
  writeFileSync(pasteFile, paste);
  const received = join(laptop.root, 'received.txt');
  const ready = join(laptop.root, 'ready');
  term.line(`stty raw -echo; touch ${ready}; head -c ${held} > ${received}; stty sane; echo held-$((6*7))`);
  await waitFor(() => existsSync(ready), { what: 'the session to be ready' });

  sshd.silence();
  term.tmux(['load-buffer', pasteFile]);
  term.tmux(['paste-buffer', '-t', 'main']);
  await term.waitFor(/typing: \d+ bytes kept, \d+ dropped/, { timeoutMs: 30_000 });
  sshd.unsilence();

  await term.waitFor(/^held-42$/m, { timeoutMs: 60_000 });
  const got = readFileSync(received);
  expect({ length: got.length, sha256: sha256(got) }).toEqual({ length: held, sha256: sha256(paste.subarray(0, held)) });
});
