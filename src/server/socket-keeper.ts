import { lstatSync, type Stats } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../relay/log.js';
import { ensurePrivateDir, listenPrivate, type ListenOptions } from '../relay/secure-socket.js';

/**
 * How often every kept socket is checked: a few seconds, so that a socket dir deleted
 * under the daemon (systemd-logind removes /run/user/$UID when the user's last login
 * ends) is repaired before a user's next command is likely to notice. One lstat per
 * socket per check.
 */
export const SOCKET_CHECK_INTERVAL_MS = 2_000;

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

/**
 * Keeps the daemon's sockets reachable at their paths. Every few seconds each is
 * checked to still be the same file (device and inode); one that is gone (its dir
 * deleted) is bound again, its dir made again, through the secure-socket helpers. One
 * replaced by another file, or that cannot be bound again, is reported lost, never
 * taken back: the file there belongs to someone else (another daemon, most likely).
 *
 * Node removes a Unix socket's path when its server closes, whatever file is there by
 * then; so a server is closed only while its path is still its own, and one whose
 * file is gone is left open (unreferenced) rather than closed after a new one is bound
 * at the same path.
 */
export class SocketKeeper {
  private readonly entries = new Set<Entry>();
  private readonly timer: NodeJS.Timeout;
  private checking = false;

  constructor(private readonly log: Logger, intervalMs = SOCKET_CHECK_INTERVAL_MS) {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  /** Listens on `path` (its dir must be private already) and keeps it there. */
  async listen(path: string, onConnection: (socket: Socket) => void, options: KeepOptions): Promise<KeptListener> {
    const server = await listenPrivate(path, onConnection, options);
    const entry: Entry = { path, onConnection, options, server, identity: identityOf(lstatSync(path)), closed: false };
    this.entries.add(entry);
    return {
      path,
      close: () => {
        entry.closed = true;
        this.entries.delete(entry);
        this.release(entry);
      },
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round of checks; rounds never overlap. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const entry of [...this.entries]) if (!entry.closed) await this.checkOne(entry);
    } finally {
      this.checking = false;
    }
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
