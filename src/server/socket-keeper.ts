import { lstatSync, watch, type FSWatcher, type Stats } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import type { Logger } from '../relay/log.js';
import { ensurePrivateDir, listenPrivate, type ListenOptions } from '../relay/secure-socket.js';

/**
 * How long after a change in a kept socket's dir its sockets are checked: long enough
 * for an `rm -rf` of the dir (systemd-logind removes /run/user/$UID when the user's
 * last login ends) to be over before the dir is made again, short enough that it is
 * repaired before a user's next command is likely to notice.
 */
export const SOCKET_SETTLE_MS = 2_000;
/** How often every kept socket is checked when a dir cannot be watched (inotify's watch limit reached). */
export const SOCKET_POLL_MS = 2_000;

export interface KeptListener {
  readonly path: string;
  /** Stops listening; the socket file is removed only while it is still this listener's. */
  close(): void;
}

export interface KeepOptions extends ListenOptions {
  /** The socket could not be bound again; it no longer listens. */
  onLost: (reason: string) => void;
}

interface Entry {
  path: string;
  onConnection: (socket: Socket) => void;
  options: KeepOptions;
  server: Server;
  identity: string;
  closed: boolean;
}

interface DirWatch {
  watcher: FSWatcher;
  identity: string;
  /** The dir itself was deleted or moved: the watch follows an inode no longer at the path. */
  stale: boolean;
}

/**
 * Keeps the daemon's sockets reachable at their paths. A change in a socket's dir
 * (inotify, through `fs.watch`) has each socket checked, once things settle, to still
 * be the same file (device and inode); one that is gone (its dir deleted) is bound
 * again, its dir made again, through the secure-socket helpers. One replaced by another
 * file, or that cannot be bound again, is reported lost, never taken back: the file
 * there belongs to someone else (another daemon, most likely). While nothing changes
 * the keeper runs no code at all, so an idle daemon stays as small as it started.
 *
 * Node removes a Unix socket's path when its server closes, whatever file is there by
 * then; so a server is closed only while its path is still its own, and one whose
 * file is gone is left open (unreferenced) rather than closed after a new one is bound
 * at the same path.
 */
export class SocketKeeper {
  private readonly entries = new Set<Entry>();
  private readonly watches = new Map<string, DirWatch>();
  /** How many kept sockets each watched dir holds. */
  private readonly dirs = new Map<string, number>();
  private settling: NodeJS.Timeout | undefined;
  private polling: NodeJS.Timeout | undefined;
  private checking = false;
  private changedWhileChecking = false;
  private stopped = false;
  private roundsRun = 0;

  constructor(
    private readonly log: Logger,
    private readonly settleMs = SOCKET_SETTLE_MS,
  ) {}

  /** Rounds of checks run so far. */
  get rounds(): number {
    return this.roundsRun;
  }

  /** Listens on `path` (its dir must be private already) and keeps it there. */
  async listen(path: string, onConnection: (socket: Socket) => void, options: KeepOptions): Promise<KeptListener> {
    const server = await listenPrivate(path, onConnection, options);
    const entry: Entry = { path, onConnection, options, server, identity: identityOf(lstatSync(path)), closed: false };
    this.entries.add(entry);
    this.countIn(dirname(path), 1);
    return {
      path,
      close: () => {
        if (entry.closed) return;
        entry.closed = true;
        this.entries.delete(entry);
        this.release(entry);
        this.countIn(dirname(path), -1);
      },
    };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.settling);
    clearInterval(this.polling);
    for (const held of this.watches.values()) held.watcher.close();
    this.watches.clear();
  }

  /** Something changed in a kept socket's dir: check once things settle. */
  private changed(): void {
    if (this.stopped) return;
    if (this.checking) {
      this.changedWhileChecking = true;
      return;
    }
    if (this.settling !== undefined) return;
    this.settling = setTimeout(() => {
      this.settling = undefined;
      void this.check();
    }, this.settleMs);
    this.settling.unref();
  }

  /** One round of checks, then the watches follow the dirs as they are now; rounds never overlap. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    this.roundsRun++;
    try {
      for (const entry of [...this.entries]) if (!entry.closed) await this.checkOne(entry);
    } finally {
      this.checking = false;
      this.renewWatches();
      if (this.changedWhileChecking) {
        this.changedWhileChecking = false;
        this.changed();
      }
    }
  }

  /** A socket kept in `dir` (+1) or no longer (-1): the dir is watched while it holds any. */
  private countIn(dir: string, delta: 1 | -1): void {
    const count = (this.dirs.get(dir) ?? 0) + delta;
    if (count > 0) {
      this.dirs.set(dir, count);
      if (!this.watches.has(dir)) this.watchDir(dir);
      return;
    }
    this.dirs.delete(dir);
    this.watches.get(dir)?.watcher.close();
    this.watches.delete(dir);
  }

  /** Watches each kept socket's dir afresh where the dir was removed, moved or made again. */
  private renewWatches(): void {
    if (this.stopped) return;
    for (const [dir, held] of this.watches) {
      if (!held.stale && currentIdentity(dir) === held.identity) continue;
      held.watcher.close();
      this.watches.delete(dir);
    }
    for (const dir of this.dirs.keys()) if (!this.watches.has(dir)) this.watchDir(dir);
  }

  private watchDir(dir: string): void {
    if (this.stopped) return;
    const identity = currentIdentity(dir);
    // gone again before it could be watched: nothing would ever report it
    if (identity === undefined) {
      this.changed();
      return;
    }
    try {
      const held: DirWatch = {
        identity,
        stale: false,
        watcher: watch(dir, { persistent: false }, (_event, name) => {
          if (name === basename(dir)) held.stale = true;
          this.changed();
        }),
      };
      held.watcher.on('error', () => {
        held.stale = true;
        this.changed();
      });
      this.watches.set(dir, held);
      // a change between the last round's check and this watch would not be reported either
      if ([...this.entries].some((entry) => dirname(entry.path) === dir && currentIdentity(entry.path) !== entry.identity)) this.changed();
    } catch (err) {
      this.pollInstead(`cannot watch ${dir} (${(err as Error).message}); checking its sockets every ${SOCKET_POLL_MS} ms instead`);
    }
  }

  private pollInstead(reason: string): void {
    if (this.polling !== undefined) return;
    this.log.warn(reason);
    this.polling = setInterval(() => void this.check(), SOCKET_POLL_MS);
    this.polling.unref();
  }

  private async checkOne(entry: Entry): Promise<void> {
    const now = currentIdentity(entry.path);
    if (now === entry.identity) return;
    if (now !== undefined) {
      this.lose(entry, `${entry.path} was replaced by another file; it belongs to someone else now`);
      return;
    }
    this.log.warn(`${entry.path} was deleted; binding it again`);
    try {
      ensurePrivateDir(dirname(entry.path));
      const server = await listenPrivate(entry.path, entry.onConnection, entry.options);
      if (entry.closed) {
        server.close();
        return;
      }
      entry.server.unref();
      entry.server = server;
      entry.identity = identityOf(lstatSync(entry.path));
      this.log.info(`${entry.path} bound again`);
    } catch (err) {
      this.lose(entry, `cannot bind ${entry.path} again: ${(err as Error).message}`);
    }
  }

  private lose(entry: Entry, reason: string): void {
    entry.closed = true;
    this.entries.delete(entry);
    this.release(entry);
    this.countIn(dirname(entry.path), -1);
    entry.options.onLost(reason);
  }

  private release(entry: Entry): void {
    if (currentIdentity(entry.path) === entry.identity) entry.server.close();
    else entry.server.unref();
  }
}

function identityOf(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

function currentIdentity(path: string): string | undefined {
  try {
    return identityOf(lstatSync(path));
  } catch {
    return undefined;
  }
}
