import { GrittyError } from '../relay/errors.js';
import { LAST_SESSION, checkSessionName } from '../relay/names.js';
import type { ExitedInfo } from '../relay/messages.js';
import type { Session } from './session.js';

/** How long an exited session is remembered, so tail, attach and ls can say it exited rather than "no session". */
export const EXIT_MEMORY_MS = 60 * 60 * 1000;
/** At most this many remembered exits (oldest forgotten first): a loop of short sessions must not grow the daemon. */
export const EXIT_MEMORY_MAX = 100;
/** The longest pause between two spawns: a spawn stuck for seconds must not stall the rest as long. */
const MAX_SPAWN_PAUSE_MS = 500;

/** The daemon's sessions by id and by name, which one was attached last, and the ones that exited lately. */
export class SessionTable {
  private readonly byId = new Map<string, Session>();
  private lastAttached: string | undefined;
  private exits: ExitedInfo[] = [];
  private spawnQueue: Promise<unknown> = Promise.resolve();
  private lastSpawn = { end: -Infinity, took: 0 };

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.byId.size;
  }

  all(): Session[] {
    return [...this.byId.values()];
  }

  /** When any session last had input or output (Date.now() time), or -Infinity for none. */
  lastActive(): number {
    let latest = -Infinity;
    for (const session of this.byId.values()) latest = Math.max(latest, session.activeAt);
    return latest;
  }

  add(session: Session): void {
    this.byId.set(session.id, session);
    session.onEnded((status) => {
      this.byId.delete(session.id);
      this.exits.push({ id: session.id, name: session.name, exitedAt: this.now(), code: status.code, signal: status.signal });
      if (this.exits.length > EXIT_MEMORY_MAX) this.exits.shift();
    });
  }

  /** Sessions that exited within the last hour, oldest first. */
  exited(): ExitedInfo[] {
    const since = this.now() - EXIT_MEMORY_MS;
    this.exits = this.exits.filter((e) => e.exitedAt >= since);
    return [...this.exits];
  }

  /** The session attached last, if it still runs. */
  last(): Session | undefined {
    return this.lastAttached === undefined ? undefined : this.byId.get(this.lastAttached);
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
      const last = this.last();
      if (last !== undefined) return last;
      const gone = this.lastAttached === undefined ? undefined : this.exited().find((e) => e.id === this.lastAttached);
      if (gone !== undefined) throw this.exitedError(gone, 'the last attached session, ');
      throw new GrittyError('no-such-session', 'no session has been attached yet, so - names nothing; run gritty ls, or gritty attach -c to create one');
    }
    const session = this.find(target);
    if (session !== undefined) return session;
    const gone = this.exited().reverse().find((e) => e.name === target || e.id === target);
    if (gone !== undefined) throw this.exitedError(gone, '');
    throw new GrittyError('no-such-session', `no session named ${target}; run gritty ls to see the sessions`);
  }

  private exitedError(gone: ExitedInfo, what: string): GrittyError {
    const minutes = Math.floor((this.now() - gone.exitedAt) / 60_000);
    const ago = minutes < 1 ? 'less than a minute ago' : `${minutes} min ago`;
    const how = gone.signal !== undefined && gone.signal !== 0 ? `signal ${gone.signal}` : `status ${gone.code}`;
    return new GrittyError('no-such-session', `${what}session ${gone.name} exited ${ago} (${new Date(gone.exitedAt).toISOString()}) with ${how}; gritty ls --all lists recent exits`);
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
