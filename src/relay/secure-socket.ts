import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { GrittyError } from './errors.js';
import { isSameProcess, processStartTime } from './process-identity.js';

/**
 * The only place that creates socket directories and binds sockets. A socket dir
 * must be a real directory (not a symlink), owned by this user, with no access for
 * group or others; sockets are bound under umask 0177 and chmod 0600.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    // something else in its place gets checkPrivateDir's words, which say what to remove
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new GrittyError('unsafe-socket-dir', `cannot create ${dir}: ${(err as Error).message}`, { cause: err });
  }
  checkPrivateDir(dir);
}

export function checkPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) {
    throw new GrittyError('unsafe-socket-dir', `${dir} is a symlink; gritty refuses it. Remove it (rm ${dir}) and try again`);
  }
  if (!st.isDirectory()) {
    throw new GrittyError('unsafe-socket-dir', `${dir} is not a directory; remove it (rm ${dir}) and try again`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new GrittyError('unsafe-socket-dir', `${dir} belongs to uid ${st.uid}, not to you (uid ${uid}). Set XDG_RUNTIME_DIR to a directory of your own`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new GrittyError('unsafe-socket-dir', `${dir} has mode ${(st.mode & 0o777).toString(8)}; run chmod 700 ${dir}`);
  }
}

/** Refuses a path where a socket belongs that holds something else (a file, a directory). */
export function checkSocketPath(path: string): void {
  try {
    if (!lstatSync(path).isSocket()) throw new GrittyError('unsafe-socket-dir', `${path} exists and is not a socket; remove it (rm ${path}) and try again`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Probes a Unix socket: true when something accepts on it. */
export function socketAlive(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const probe: Socket = createConnection(path);
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      probe.destroy();
      resolve(alive);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
  });
}

/**
 * Listens on `path` inside an already private dir. A stale socket left by a dead
 * process is removed; a live one means another daemon owns it. Judging and replacing
 * happen under the path's lock, so two daemons started together cannot both find the
 * socket stale and the second unlink the first one's fresh socket.
 */
export async function listenPrivate(path: string, onConnection: (socket: Socket) => void, options: ListenOptions = {}): Promise<Server> {
  const lock = await acquireLock(`${path}.lock`);
  try {
    return await replaceAndListen(path, onConnection, options);
  } finally {
    lock.release();
  }
}

export interface ListenOptions {
  /** Accepted sockets start paused, nothing read yet: for acceptedConnection() in connection.ts. */
  pauseOnConnect?: boolean;
}

async function replaceAndListen(path: string, onConnection: (socket: Socket) => void, options: ListenOptions): Promise<Server> {
  try {
    checkSocketPath(path);
    lstatSync(path);
    if (await socketAlive(path)) throw new GrittyError('server-start-failed', `a gritty server is already listening on ${path}`);
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: options.pauseOnConnect === true }, onConnection);
  // 0177, not 077: the socket is born 0600, so no client ever sees it before the chmod below
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  return server;
}

/** Judging a socket and binding one take milliseconds; a holder that keeps the lock this long is stuck. */
const LOCK_WAIT_MS = 10_000;
const LOCK_POLL_MS = 20;

/**
 * A lock file beside the socket, in the same private dir: created whole and atomically
 * with link(2) (so no reader sees it half-written), holding the owner's pid and start
 * time. Node has no flock(2); this lock is broken only when its owner is provably gone
 * (no such pid, or the pid now names a process that started at another time), so a
 * slow owner is waited for, never overtaken.
 */
async function acquireLock(lock: string): Promise<{ release(): void }> {
  const me = `${process.pid} ${processStartTime(process.pid) ?? '-'}\n`;
  const mine = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(mine, me, { mode: 0o600, flag: 'wx' });
  const deadline = Date.now() + LOCK_WAIT_MS;
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        return { release: () => rmSync(lock, { force: true }) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = readLockOwner(lock);
      if (owner !== undefined && (owner.pid === 0 || !isSameProcess(owner.pid, owner.startTime))) {
        breakLock(lock, owner.text);
        continue;
      }
      if (Date.now() > deadline) {
        throw new GrittyError('server-start-failed', `${lock} is held by pid ${owner?.pid ?? '?'}, which is still running; if no gritty server is starting, remove it`);
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

function readLockOwner(lock: string): { pid: number; startTime: number | undefined; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch {
    return undefined; // released meanwhile: try again
  }
  const [pid, start] = text.trim().split(' ');
  const startTime = Number(start);
  // a file that is not a lock of ours cannot name a live owner: it is broken like a dead one
  return { pid: Number(pid) > 0 ? Number(pid) : 0, startTime: Number.isSafeInteger(startTime) ? startTime : undefined, text };
}

/**
 * Removes the lock of a dead owner. Moved aside first and checked: if another process
 * broke it and took the lock in between, what was moved is that live lock, and it is
 * put back.
 */
function breakLock(lock: string, deadOwner: string): void {
  const aside = `${lock}.broken.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // someone else broke or released it: try again
  }
  try {
    if (readFileSync(aside, 'utf8') !== deadOwner) linkSync(aside, lock);
  } catch {
    // a new lock took its place meanwhile; its owner holds it
  } finally {
    rmSync(aside, { force: true });
  }
}
