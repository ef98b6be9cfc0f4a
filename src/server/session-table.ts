import { GrittyError } from '../relay/errors.js';
import { LAST_SESSION, checkSessionName } from '../relay/names.js';
import type { Session } from './session.js';

/** The daemon's sessions by id and by name, and which one was attached last. */
export class SessionTable {
  private readonly byId = new Map<string, Session>();
  private lastAttached: string | undefined;
  private lastSpawnTurn: Promise<void> = Promise.resolve();

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
   * Resolves when the caller may spawn, one caller per turn of the event loop. A PTY
   * spawn forks the daemon synchronously: a few ms when idle, 30-450 ms each measured
   * with 200 at once on a loaded 2-core machine, where a burst of them held every other
   * connection (echo, list, handshakes) for over 10 s. Between two spawns the loop now
   * serves all pending I/O, so a spawn storm delays everyone else by one spawn at most.
   */
  spawnTurn(): Promise<void> {
    const turn = this.lastSpawnTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.lastSpawnTurn = turn;
    return turn;
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
