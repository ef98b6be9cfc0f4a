import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeGrittyEnv, type GrittyEnv } from './daemon.js';
import { Sshd, killWorld, worldProcesses, type SshdOptions } from './sshd.js';
import { TmuxTerminal, innerShell } from './terminal.js';
import { waitFor } from './wait.js';

/**
 * One or more "laptops" (private gritty worlds, each with its terminals) that reach one
 * private sshd "devbox": the setup of every ssh end-to-end test, and its teardown.
 */
export class RemoteWorlds {
  readonly laptops: GrittyEnv[] = [];
  private readonly terminals: TmuxTerminal[] = [];

  private constructor(readonly sshd: Sshd) {}

  static start(options: SshdOptions = {}): RemoteWorlds {
    return new RemoteWorlds(Sshd.start(options));
  }

  /** A new laptop whose gritty reaches the sshd (GRITTY_SSH, GRITTY_REMOTE_BIN set). */
  laptop(): GrittyEnv {
    const world = this.sshd.use(makeGrittyEnv());
    this.laptops.push(world);
    return world;
  }

  /** A terminal on `world` showing an outer shell prompt. */
  async terminal(world: GrittyEnv, options: { cols?: number; rows?: number; historyLines?: number } = {}): Promise<TmuxTerminal> {
    const terminal = await TmuxTerminal.start({ world, ...options });
    this.terminals.push(terminal);
    return terminal;
  }

  /** A script starting an rc-free bash with INNER_PROMPT; a session command whose screens do not depend on the host. */
  shell(world: GrittyEnv): string {
    return innerShell(world);
  }

  /** Kills terminals, every laptop process (stopped ones too) and the remote side; removes all temp dirs. */
  cleanup(): void {
    for (const t of this.terminals.splice(0)) t.kill();
    for (const world of this.laptops.splice(0)) {
      killWorld(world);
      world.cleanup();
    }
    this.sshd.cleanup();
  }
}

const EXIT_MARK = /\[client exit (\d+)\]/;

/**
 * Runs the gritty CLI in the terminal under a non-interactive sh, which prints the
 * client's exit status when it ends. The sh matters: the outer bash (job control) or
 * tmux (a stopped pane process) would resume or take back a client a test stops with
 * SIGSTOP, but a plain sh leaves its child alone.
 */
export function startClient(terminal: TmuxTerminal, args: string[]): void {
  const words = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replaceAll(/(["\\$`])/g, '\\$1')}"`));
  terminal.line(`sh -c 'gritty ${words.join(' ')}; echo "[client exit $?]"'`);
}

/** The exit status the client's sh printed, if it has ended. */
export function clientExit(screen: string): number | undefined {
  const m = EXIT_MARK.exec(screen);
  return m === null ? undefined : Number(m[1]);
}

/** Waits until the client in `terminal` has ended; returns its status and the screen then. */
export async function waitClientExit(terminal: TmuxTerminal, timeoutMs: number): Promise<{ status: number; screen: string }> {
  const screen = await terminal.waitFor(EXIT_MARK, { timeoutMs, what: 'the client to exit' });
  return { status: clientExit(screen)!, screen };
}

const CLIENT_COMMANDS = new Set(['attach', 'a', 'new', 'new-session']);

/** The gritty client processes (attach/new) of a world, by their argv. */
export function clientPids(world: GrittyEnv): number[] {
  return worldProcesses(world)
    .filter((p) => p.exe === 'node' && CLIENT_COMMANDS.has(p.argv.slice(2).find((a) => !a.startsWith('-')) ?? ''))
    .map((p) => p.pid);
}

/**
 * Proves the session usable: types `echo <prefix><n>-$((1+1))` (after ^U, so a half-sent
 * line is discarded) every `retypeMs` until the shell's answer `<prefix><n>-2` shows on
 * the screen. Keystrokes sent into a dead link are lost, not an error: the next try
 * counts. Returns when the first answer appeared (epoch ms) and all markers typed, so a
 * test can also check that none ran twice.
 */
export async function typeUntilAnswered(
  terminal: TmuxTerminal,
  options: { prefix: string; timeoutMs: number; retypeMs?: number },
): Promise<{ answeredAt: number; typed: number }> {
  const retypeMs = options.retypeMs ?? 1_000;
  const answer = new RegExp(`^${options.prefix}\\d+-2\\s*$`, 'm');
  let typed = 0;
  let lastTyped = 0;
  await waitFor(
    () => {
      if (answer.test(terminal.screen())) return true;
      if (Date.now() - lastTyped >= retypeMs) {
        typed++;
        lastTyped = Date.now();
        terminal.press('C-u');
        terminal.line(`echo ${options.prefix}${typed}-$((1+1))`);
      }
      return false;
    },
    { timeoutMs: options.timeoutMs, what: `an answer to echo ${options.prefix}N`, describe: () => terminal.screen() },
  );
  return { answeredAt: Date.now(), typed };
}

/**
 * The pane's whole history and screen, wrapped lines joined. Goes through a tmux
 * buffer and a file, so it is not cut at spawnSync's 1 MiB stdout limit.
 */
export function fullHistory(terminal: TmuxTerminal, lines: number): string {
  const file = join(terminal.world.root, `history-${Date.now()}.txt`);
  terminal.tmux(['capture-pane', '-J', '-t', 'main', '-S', `-${lines}`, '-b', 'history', ';', 'save-buffer', '-b', 'history', file, ';', 'delete-buffer', '-b', 'history']);
  const text = readFileSync(file, 'utf8');
  rmSync(file);
  return text;
}

/** How many times each marker's answer appears in `text`. */
export function answerCounts(text: string, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^(${prefix}\\d+)-2\\s*$`, 'gm'))) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  return counts;
}
