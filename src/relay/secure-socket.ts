import { lstatSync, mkdirSync, chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { GrittyError } from './errors.js';

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
 * process is removed; a live one means another daemon owns it.
 */
export async function listenPrivate(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  try {
    checkSocketPath(path);
    lstatSync(path);
    if (await socketAlive(path)) throw new GrittyError('server-start-failed', `a gritty server is already listening on ${path}`);
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const server = createServer({ allowHalfOpen: true }, onConnection);
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
