import { GrittyWorld } from './gritty-world.js';
import { rssKiB } from './processes.js';
import { TmuxServer } from './peers.js';
import { median, nowMs, sleep } from './stats.js';

/** Idle shells, as in the issue: no rc files, so every server holds the same thing. */
export const IDLE_SHELL = ['bash', '--norc'];
/** Time for fresh shells to print their prompts and servers to settle before RSS is read. */
const SETTLE_MS = 1_500;
/**
 * The gritty daemon's settling time: it collects a burst's garbage after 5 s of quiet
 * (server/quiet-collector.ts), and a reading must not race that on a loaded machine.
 */
const GRITTY_SETTLE_MS = 8_000;
/**
 * The youngest a gritty daemon is weighed at. Its first collection, 5 s after the
 * first request, starts V8's memory reducer, which 8 s later gives back ~2.3 MB that
 * start-up left (new space shrunk, old space compacted); an idle daemon then holds the
 * same to the KiB (docs/MEMORY.md).
 */
const DAEMON_SETTLED_AGE_MS = 20_000;
/** `gritty new` processes started at once while populating a daemon. */
const CREATE_CONCURRENCY = 4;

/** Both servers' RSS at one session count, in one trial (a fresh gritty daemon and tmux server grown from one session). */
export interface MemoryReading {
  trial: number;
  sessions: number;
  grittyKiB: number;
  tmuxKiB: number;
}

/**
 * Each trial's RSS growth per idle session between two counts it was weighed at: the
 * spread between trials is what one reading alone would hide (a one-time cost, such as
 * V8 loading its optimizing compiler while sessions are made, lands in some trials and
 * not in others).
 */
export function perSessionKiB(readings: readonly MemoryReading[], from: number, to: number): number[] {
  const trials = [...new Set(readings.map((r) => r.trial))];
  return trials.flatMap((trial) => {
    const at = (n: number) => readings.find((r) => r.trial === trial && r.sessions === n)?.grittyKiB;
    const [a, b] = [at(from), at(to)];
    return a === undefined || b === undefined ? [] : [(b - a) / (to - from)];
  });
}

/** The session counts a trial weighs the servers at: one, half way, and `many`. */
export function memoryCounts(many: number): number[] {
  return [...new Set([1, Math.max(1, Math.round(many / 2)), many])];
}

/**
 * The spans the growth per session is read over: from the first count weighed to the
 * last (the target's), then from the one before the last to the last (past the
 * daemon's one-time costs), when there are three counts or more.
 */
export function growthSpans(readings: readonly MemoryReading[]): { from: number; to: number }[] {
  const counts = [...new Set(readings.map((r) => r.sessions))].sort((a, b) => a - b);
  const to = counts.at(-1);
  if (to === undefined || counts.length < 2) return [];
  return [...new Set([counts[0]!, counts.at(-2)!])].map((from) => ({ from, to }));
}

/** gritty's RSS at `sessions` over the trials: median, lowest, highest. */
export function grittyAt(readings: readonly MemoryReading[], sessions: number): { median: number; min: number; max: number } | undefined {
  const kib = readings.filter((r) => r.sessions === sessions).map((r) => r.grittyKiB);
  return kib.length === 0 ? undefined : { median: median(kib), min: Math.min(...kib), max: Math.max(...kib) };
}

/** A server of some kind that can be grown to n idle sessions and weighed. */
export interface Populated {
  readonly name: string;
  sessions: number;
  growTo(n: number): Promise<void>;
  rssKiB(): number;
  /** argv of its list command, for ls-time. */
  lsArgv: string[];
  env: Record<string, string>;
  dispose(): void;
}

/**
 * A gritty daemon started as `gritty new` starts one. Its sessions are never attached,
 * so it never loaded the screen emulator; docs/MEMORY.md has what a fresh attach adds.
 */
export class GrittyServerUnderTest implements Populated {
  readonly name = 'gritty daemon';
  sessions = 0;
  private readonly world = new GrittyWorld();
  private pid: number | undefined;
  private startedAt = 0;

  get lsArgv(): string[] {
    const { file, args } = this.world.argv(['ls']);
    return [file, ...args];
  }

  get env(): Record<string, string> {
    return this.world.env;
  }

  async growTo(n: number): Promise<void> {
    const command = IDLE_SHELL.join(' ');
    if (this.sessions === 0) {
      this.startedAt = nowMs();
      this.world.run(['new', '-d', '-c', command, 'local:idle1']);
      this.sessions = 1;
    }
    while (this.sessions < n) {
      const batch: Promise<string>[] = [];
      for (let i = 0; i < CREATE_CONCURRENCY && this.sessions < n; i++) {
        batch.push(this.world.runAsync(['new', '-d', '-c', command, `local:idle${++this.sessions}`]));
      }
      await Promise.all(batch);
    }
    this.pid = this.world.serverPid();
    await sleep(Math.max(GRITTY_SETTLE_MS, this.startedAt + DAEMON_SETTLED_AGE_MS - nowMs()));
  }

  rssKiB(): number {
    if (this.pid === undefined) throw new Error('no gritty server yet');
    return rssKiB(this.pid);
  }

  dispose(): void {
    this.world.cleanup();
  }
}

export class TmuxServerUnderTest implements Populated {
  readonly name = 'tmux server';
  sessions = 0;
  private readonly server = new TmuxServer();
  readonly env: Record<string, string> = {};

  get lsArgv(): string[] {
    return ['tmux', '-S', this.server.socket, 'ls'];
  }

  async growTo(n: number): Promise<void> {
    while (this.sessions < n) this.server.newSession(`idle${++this.sessions}`, IDLE_SHELL);
    await sleep(SETTLE_MS);
  }

  rssKiB(): number {
    return rssKiB(this.server.pid());
  }

  dispose(): void {
    this.server.kill();
  }
}
