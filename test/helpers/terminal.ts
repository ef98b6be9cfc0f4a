import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from './daemon.js';
import { processesWithEnv } from './processes.js';
import { waitFor, type WaitOptions } from './wait.js';

/** The outer shell's prompt in every test terminal; distinct from the session's INNER_PROMPT. */
export const OUTER_PROMPT = 'out$ ';
/** The prompt of the shell that `innerShell()` starts inside a session. */
export const INNER_PROMPT = 'in$ ';
/** tmux keeps this many lines of history per pane by default; tests that check big outputs ask for more. */
const DEFAULT_HISTORY_LINES = 2_000;

export interface TerminalOptions {
  world: GrittyEnv;
  cols?: number;
  rows?: number;
  /** Lines of scrollback the pane keeps. */
  historyLines?: number;
  /** The pane's program, run by sh; default an rc-free bash with OUTER_PROMPT. */
  command?: string;
  /** Extra environment for the pane. */
  env?: Record<string, string>;
}

export type ScreenMatch = string | RegExp | ((screen: string) => boolean);

/**
 * A real terminal for end-to-end tests: one pane of a private tmux server (its own
 * -L socket, no config), driven with send-keys and read with capture-pane. The pane
 * runs an rc-free bash whose PATH starts with gritty's bin dir.
 */
export class TmuxTerminal {
  private killed = false;

  private constructor(
    readonly socket: string,
    readonly world: GrittyEnv,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(options: TerminalOptions): Promise<TmuxTerminal> {
    const { world } = options;
    const socket = `gritty-e2e-${process.pid}-${randomBytes(4).toString('hex')}`;
    const env: NodeJS.ProcessEnv = {
      ...world.env,
      PATH: `${dirname(GRITTY_BIN)}:${world.env.PATH ?? '/usr/bin:/bin'}`,
      TMUX_TMPDIR: world.root,
      ...options.env,
    };
    delete env.TMUX;
    delete env.TMUX_PANE;
    const terminal = new TmuxTerminal(socket, world, env);
    // tmux does not pass PS1 on to panes, so the prompt is set on the command line
    const command = options.command ?? `exec env PS1='${OUTER_PROMPT}' bash --norc --noprofile`;
    terminal.tmux([
      'start-server', ';',
      'set-option', '-g', 'history-limit', String(options.historyLines ?? DEFAULT_HISTORY_LINES), ';',
      'set-option', '-g', 'exit-empty', 'off', ';',
      'new-session', '-d', '-s', 'main', '-x', String(options.cols ?? 80), '-y', String(options.rows ?? 24), command,
    ]);
    try {
      if (options.command === undefined) await terminal.waitFor((s) => s.includes(OUTER_PROMPT.trim()), { what: 'the outer shell prompt' });
    } catch (err) {
      terminal.kill();
      throw err;
    }
    return terminal;
  }

  /** Runs a tmux command against this terminal's server and returns its stdout. */
  tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { env: this.env, encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout;
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  /** Presses named keys: Enter, Escape, C-c, … */
  press(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'main', ...keys]);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.press('Enter');
  }

  /** The visible screen, one string per row, trailing blanks trimmed. */
  screen(options: { escapes?: boolean } = {}): string {
    return this.tmux(['capture-pane', '-p', '-t', 'main', ...(options.escapes === true ? ['-e'] : [])]);
  }

  /** Up to `lines` lines of scrollback plus the screen, wrapped lines joined. */
  history(lines: number): string {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 'main', '-S', `-${lines}`]);
  }

  /** A tmux format about the pane, e.g. `#{alternate_on}` or `#{pane_pid}`. */
  format(fmt: string): string {
    return this.tmux(['display-message', '-p', '-t', 'main', fmt]).trim();
  }

  /** Pid of the pane's program (the outer shell). */
  get panePid(): number {
    return Number(this.format('#{pane_pid}'));
  }

  /** Pid of the one program the outer shell runs in front (the gritty client), if exactly one. */
  foregroundChild(): number | undefined {
    try {
      const pids = execFileSync('pgrep', ['-P', String(this.panePid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      return pids.length === 1 ? Number(pids[0]) : undefined;
    } catch {
      return undefined; // pgrep exits 1 when there is no child
    }
  }

  /** Waits until the screen shows `match`; returns the screen. */
  async waitFor(match: ScreenMatch, options: WaitOptions = {}): Promise<string> {
    const test = typeof match === 'string' ? (s: string) => s.includes(match) : match instanceof RegExp ? (s: string) => match.test(s) : match;
    return waitFor(() => {
      const s = this.screen();
      return test(s) ? s : undefined;
    }, { what: `screen to show ${String(match)}`, describe: () => this.history(100), ...options });
  }

  /** Waits until the outer shell shows its prompt on the last non-blank row (the program in front of it ended). */
  async waitForOuterPrompt(options: WaitOptions = {}): Promise<string> {
    return this.waitFor((s) => lastRow(s) === OUTER_PROMPT.trim(), { what: 'the outer shell prompt on the last row', ...options });
  }

  /** After the program in front of the outer shell ended: its exit status, as the outer shell reports it. */
  async exitStatus(): Promise<number> {
    await this.waitForOuterPrompt();
    const tag = `rc${randomBytes(3).toString('hex')}`;
    this.line(`echo ${tag}=$?`);
    const screen = await this.waitFor(new RegExp(`^${tag}=\\d+`, 'm'));
    return Number(new RegExp(`^${tag}=(\\d+)`, 'm').exec(screen)![1]);
  }

  /** Sends the escape `~key` the way a user does: after a newline. */
  escape(key: string): void {
    this.press('Enter');
    this.type(`~${key}`);
  }

  /** Kills the tmux server and so the pane's processes (SIGHUP). Idempotent. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'kill-server'], { env: this.env, timeout: 10_000 });
  }
}

/**
 * Writes a script that starts bash without rc files and with INNER_PROMPT, for use
 * as a session's command (`gritty new -c PATH`) so screens do not depend on the host's
 * bash configuration. Returns its path.
 */
export function innerShell(world: GrittyEnv): string {
  const path = join(world.root, 'inner-shell');
  writeFileSync(path, `#!/bin/sh\nexec env PS1='${INNER_PROMPT}' bash --norc --noprofile -i\n`, { mode: 0o755 });
  return path;
}

/** The last non-blank row of a capture, trimmed. */
export function lastRow(capture: string): string {
  return lines(capture).at(-1)?.trim() ?? '';
}

/** Lines of a capture, trailing blank lines dropped. */
export function lines(capture: string): string[] {
  const rows = capture.split('\n');
  while (rows.length > 0 && rows[rows.length - 1]!.trim() === '') rows.pop();
  return rows;
}

/** The fields of one `gritty ls --json` entry that tests look at. */
export interface ListedSession {
  id: string;
  name: string;
  attached: boolean;
  pid: number;
  cols: number;
  rows: number;
  /** The session's output offset: every byte it has written. */
  offset: number;
}

/**
 * One test's world and terminals: `scope.cleanup()` in afterEach kills every terminal,
 * then the daemon, then removes the temp dir.
 */
export class E2eScope {
  private current: GrittyEnv | undefined;
  private readonly terminals: TmuxTerminal[] = [];
  private readonly cleanups: (() => void)[] = [];

  get world(): GrittyEnv {
    this.current ??= makeGrittyEnv();
    return this.current;
  }

  async terminal(options: Omit<TerminalOptions, 'world'> = {}): Promise<TmuxTerminal> {
    const t = await TmuxTerminal.start({ cols: 60, rows: 12, ...options, world: this.world });
    this.terminals.push(t);
    return t;
  }

  /** Runs `fn` at cleanup, before the terminals and the daemon go. */
  onCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Sessions as `gritty ls --json` lists them. */
  sessions(): ListedSession[] {
    const r = this.world.run(['ls', '--json']);
    if (r.status !== 0) throw new Error(`gritty ls failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as ListedSession[];
  }

  /** The pid of this world's daemon. */
  daemonPid(): number {
    const daemons = processesWithEnv('XDG_RUNTIME_DIR', this.world.env.XDG_RUNTIME_DIR!).filter((p) => p.argv.includes('server'));
    if (daemons.length !== 1) throw new Error(`expected one daemon in this world, found ${daemons.length}`);
    return daemons[0]!.pid;
  }

  cleanup(): void {
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // best effort: the rest must still be cleaned up
      }
    }
    for (const t of this.terminals.splice(0)) t.kill();
    this.current?.cleanup();
    this.current = undefined;
  }
}
