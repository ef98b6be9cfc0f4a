import { afterEach, expect, test } from 'vitest';
import { spawnPty, type ExitStatus, type Pty } from '../../src/server/pty.js';
import { waitFor } from '../helpers/wait.js';

let pty: Pty | undefined;
afterEach(() => {
  pty?.kill('SIGKILL');
  pty = undefined;
});

test('a program that exits while its PTY is paused still has its last output read before the exit is reported', async () => {
  // 3000 bytes fit in the kernel's PTY buffer, so the program can exit while nothing reads
  const spawned = spawnPty({ file: 'sh', args: ['-c', `stty -echo; head -c 3000 /dev/zero | tr '\\0' x; echo LAST`], cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' }, cols: 80, rows: 24, drainFloods: true });
  if (!spawned.ok) throw new Error(spawned.error);
  pty = spawned.pty;
  pty.pause();
  let output = '';
  let exit: ExitStatus | undefined;
  pty.onData((data) => (output += data.toString('latin1')));
  pty.onExit((status) => (exit = status));
  await waitFor(() => exit, { what: 'the exit' });
  expect(output.replace(/[\r\n]/g, '')).toBe(`${'x'.repeat(3000)}LAST`);
});

test('while paused, input still reaches the program: Ctrl-C stops a program blocked writing', async () => {
  const spawned = spawnPty({ file: 'sh', args: ['-c', 'exec yes'], cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' }, cols: 80, rows: 24, drainFloods: true });
  if (!spawned.ok) throw new Error(spawned.error);
  pty = spawned.pty;
  let received = 0;
  let exit: ExitStatus | undefined;
  pty.onData((data) => (received += data.length));
  pty.onExit((status) => (exit = status));
  await waitFor(() => received > 0, { what: 'the first output' });
  pty.pause();
  pty.resize(100, 30);
  pty.write(Buffer.from('\x03'));
  const status = await waitFor(() => exit, { what: 'the exit after Ctrl-C' });
  expect(status.signal).toBe(2);
});
