import { GrittyError } from '../relay/errors.js';
import { LAST_SESSION, checkSessionName } from '../relay/names.js';
import type { Session } from './session.js';

/** The longest pause between two spawns: a spawn stuck for seconds must not stall the rest as long. */
const MAX_SPAWN_PAUSE_MS = 500;

/** The daemon's sessions by id and by name, and which one was attached last. */
export class SessionTable {
  private readonly byId = new Map<string, Session>();
  private lastAttached: string | undefined;
  private spawnQueue: Promise<unknown> = Promise.resolve();
  private lastSpawn = { end: -Infinity, took: 0 };

  get size(): number {
    return this.byId.size;
  }

  all(): Session[] {
    return [...this.byId.values()];
  }

  add(session: Session): void {
    this.byId.set(session.id, session);
    session.onEnded(() => {
      this.byId.delete(session.id);
      if (this.lastAttached === session.id) this.lastAttached = undefined;
    });
  }

  /** A name for a new session: the one asked for if free, else the smallest free number. */
  claimName(wanted: string | undefined): string {
    if (wanted !== undefined) {
      checkSessionName(wanted);
      if (this.findByName(wanted) !== undefined) {
        throw new GrittyError('name-taken', `a session named ${wanted} already exists; attach to it with gritty attach ${wanted}, or pick another name`);
      }
      return wanted;
    }
    for (let n = 0; ; n++) if (this.findByName(String(n)) === undefined) return String(n);
  }

  /**
   * Runs `spawn` in its turn: one at a time, each after a pause as long as the one
   * before took. A PTY spawn forks the daemon synchronously: a few ms when idle,
   * 30-450 ms each measured with 200 at once on a loaded 2-core machine, where a
   * burst of them held every other connection for over 10 s; spawning one per loop
   * turn was not enough, as the loop then took one new connection per spawn. So a
   * storm of spawns gets half of the daemon's time at most, and the rest is served.
   */
  inSpawnTurn<T>(spawn: () => T): Promise<T> {
    const run = this.spawnQueue.then(async () => {
      const pause = this.lastSpawn.end + this.lastSpawn.took - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(MAX_SPAWN_PAUSE_MS, pause))));
      const started = performance.now();
      try {
        return spawn();
      } finally {
        const end = performance.now();
        this.lastSpawn = { end, took: end - started };
      }
    });
    this.spawnQueue = run.catch(() => undefined);
    return run;
  }

  /** By name, then by id; `-` is the session attached last. */
  resolve(target: string): Session {
    if (target === LAST_SESSION) {
      const last = this.lastAttached === undefined ? undefined : this.byId.get(this.lastAttached);
      if (last === undefined) throw new GrittyError('no-such-session', 'no session has been attached yet, so - names nothing; run gritty ls');
      return last;
    }
    const session = this.find(target);
    if (session === undefined) throw new GrittyError('no-such-session', `no session named ${target}; run gritty ls to see the sessions`);
    return session;
  }

  find(target: string): Session | undefined {
    return this.findByName(target) ?? this.byId.get(target);
  }

  markAttached(session: Session): void {
    this.lastAttached = session.id;
  }

  rename(session: Session, name: string): void {
    checkSessionName(name);
    const holder = this.findByName(name);
    if (holder !== undefined && holder !== session) {
      throw new GrittyError('name-taken', `a session named ${name} already exists; pick another name`);
    }
    session.name = name;
  }

  private findByName(name: string): Session | undefined {
    for (const session of this.byId.values()) if (session.name === name) return session;
    return undefined;
  }
}
