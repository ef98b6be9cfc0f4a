import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { spawnPty, type Pty } from '../../src/server/pty.js';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Bounded lag (issue 11): a client that takes output as fast as its terminal allows
 * gets every byte of a flood, the program waiting on write() as on a plain terminal;
 * a client that stops taking output does not hold the program up.
 */

/** About 32 MiB of numbered lines (seq 1 4400000: 34.1 MB), 32 times the default ring. */
const FLOOD_LINES = 4_400_000;
const FLOOD_TIMEOUT_MS = 240_000;

let world: GrittyEnv | undefined;
let outer: OuterPty | undefined;
afterEach(() => {
  outer?.kill();
  outer = undefined;
  world?.cleanup();
  world = undefined;
});

/**
 * A real terminal read as fast as this process can: each complete line that is a bare
 * number must be the next one expected, so a skip, a repeat or a repaint shows.
 */
class OuterPty {
  next = 1;
  disorder: string | undefined;
  tail = '';
  private partial = '';
  private readonly pty: Pty;

  constructor(env: NodeJS.ProcessEnv, args: string[]) {
    const clean: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = value;
    const started = spawnPty({ file: process.execPath, args: [GRITTY_BIN, ...args], cwd: process.cwd(), env: clean, cols: 80, rows: 24 });
    if (!started.ok) throw new Error(started.error);
    this.pty = started.pty;
    this.pty.onData((chunk) => this.take(chunk.toString('latin1')));
  }

  get pid(): number {
    return this.pty.pid;
  }

  type(text: string): void {
    this.pty.write(Buffer.from(text));
  }

  kill(): void {
    this.pty.kill('SIGKILL');
  }

  private take(text: string): void {
    this.tail = (this.tail + text).slice(-4096);
    const rows = (this.partial + text).split('\n');
    this.partial = rows.pop()!;
    for (const raw of rows) {
      // eslint-disable-next-line no-control-regex
      const row = raw.replace(/\r$/, '').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      if (!/^\d+$/.test(row)) continue;
      if (Number(row) !== this.next) this.disorder ??= `expected line ${this.next}, got ${row}`;
      this.next = Number(row) + 1;
    }
  }
}

function startFlood(w: GrittyEnv, script: string): void {
  const made = w.run(['new', '-d', '-c', `sh -c '${script}'`, 'local:flood']);
  if (made.status !== 0) throw new Error(`gritty new failed: ${made.stderr}`);
}

function attached(w: GrittyEnv): boolean | undefined {
  const listed = w.run(['ls', '--json']);
  return (JSON.parse(listed.stdout) as { name: string; attached: boolean }[]).find((s) => s.name === 'flood')?.attached;
}

test('a 32 MiB flood reaches a client that reads at full speed whole, in order, exactly once', { timeout: FLOOD_TIMEOUT_MS + 30_000 }, async () => {
  world = makeGrittyEnv();
  startFlood(world, `stty -echo; echo READY; read go; echo START; seq 1 ${FLOOD_LINES}; echo FLOOD-END; exec cat`);
  const term = (outer = new OuterPty(world.env, ['attach', 'local:flood']));
  await waitFor(() => term.tail.includes('READY'), { what: 'the session to be attached' });
  term.type('\r');
  await waitFor(() => term.tail.includes('FLOOD-END'), { what: 'the end of the flood', timeoutMs: FLOOD_TIMEOUT_MS });
  expect(term.disorder).toBeUndefined();
  expect(term.next).toBe(FLOOD_LINES + 1);
  expect(term.tail).not.toContain('more than the history holds');
});

test('a stopped client does not hold the program up, and gets a repaint when it reads again', { timeout: 120_000 }, async () => {
  const lines = 1_000_000; // 6.9 MB: several rings' worth, far past what a paused socket holds
  world = makeGrittyEnv();
  const go = join(world.root, 'go');
  const done = join(world.root, 'done');
  startFlood(world, `stty -echo; echo READY; while [ ! -e ${go} ]; do sleep 0.1; done; seq 1 ${lines}; : > ${done}; echo AFTER-MARKER; exec cat`);
  const term = (outer = new OuterPty(world.env, ['attach', 'local:flood']));
  await waitFor(() => term.tail.includes('READY'), { what: 'the session to be attached' });
  process.kill(term.pid, 'SIGSTOP');
  try {
    writeFileSync(go, '');
    // well within the 45 s after which a silent client is evicted, which would also free the program
    await waitFor(() => existsSync(done), { what: 'the program to finish its output while the client is stopped', timeoutMs: 30_000 });
    expect(attached(world)).toBe(true);
  } finally {
    process.kill(term.pid, 'SIGCONT');
  }
  await waitFor(() => term.tail.includes('AFTER-MARKER'), { what: 'the rest of the output after SIGCONT', timeoutMs: 60_000 });
  // the notice is written after the repaint, and the outer terminal may hand it over in a later read
  await waitFor(() => /\d+ bytes of output were more than the history holds/.test(term.tail), {
    what: 'the notice that output was skipped',
    describe: () => JSON.stringify(term.tail.slice(-600)),
  });
});
