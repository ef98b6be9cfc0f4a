import { GrittyWorld } from './gritty-world.js';
import { rssKiB } from './processes.js';
import { TmuxServer } from './peers.js';
import { sleep } from './stats.js';

/** Idle shells, as in the issue: no rc files, so every server holds the same thing. */
export const IDLE_SHELL = ['bash', '--norc'];
/** Time for fresh shells to print their prompts and servers to settle before RSS is read. */
const SETTLE_MS = 1_500;
/** `gritty new` processes started at once while populating a daemon. */
const CREATE_CONCURRENCY = 4;

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
    await sleep(SETTLE_MS);
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
