import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import { processAlive } from '../../relay/process-identity.js';

/** Mode of a file while it is written: nobody else reads a half-written file. */
const PART_MODE = 0o600;
/** Permission bits kept from the sender: setuid, setgid and sticky are dropped. */
export const KEPT_MODE_BITS = 0o777;
/** Characters of the target's name kept in its temporary name (which must stay under NAME_MAX). */
const PART_NAME_CHARS = 64;
/** `.<name>.gritty-<pid>-<random>.part`: hidden, and names the process that owns it. */
const PART_PATTERN = /^\..*\.gritty-(\d+)-[0-9a-f]+\.part$/s;
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
/**
 * Data records are 64 KiB; writing each on its own costs a thread-pool round trip per
 * record. They are gathered into writev() calls of about 1 MiB instead.
 */
const WRITE_BATCH_BYTES = 1 << 20;

/**
 * A received file under a temporary name beside its target: created 0600 with
 * O_EXCL|O_NOFOLLOW, renamed over the target only when complete and verified, and
 * removed otherwise. The target is never opened for writing, so an earlier copy
 * stays intact until the rename replaces it whole.
 */
export class PartFile {
  private closed = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Told once the pending pieces are written. */
  private pendingWritten: (() => void)[] = [];
  private position = 0;

  private constructor(
    readonly dir: string,
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(dir: string, targetName: string): Promise<PartFile> {
    const name = `.${targetName.slice(0, PART_NAME_CHARS)}.gritty-${process.pid}-${randomBytes(4).toString('hex')}.part`;
    const path = join(dir, name);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    return new PartFile(dir, path, await open(path, flags, PART_MODE));
  }

  /** Takes `pieces`, kept by reference until written: the caller must not reuse them before `written` is called. */
  async write(pieces: readonly Buffer[], written?: () => void): Promise<void> {
    for (const piece of pieces) {
      this.pending.push(piece);
      this.pendingBytes += piece.length;
    }
    if (written !== undefined) this.pendingWritten.push(written);
    if (this.pendingBytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    let buffers = this.pending;
    const written = this.pendingWritten;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingWritten = [];
    while (buffers.length > 0) {
      const { bytesWritten } = await this.handle.writev(buffers, this.position);
      this.position += bytesWritten;
      buffers = unwritten(buffers, bytesWritten);
    }
    for (const done of written) done();
  }

  /** Sets the sender's mode (without setuid/setgid/sticky) and mtime, then renames over `target`. */
  async commit(target: string, mode: number, mtimeMs: number): Promise<void> {
    await this.flush();
    await this.handle.chmod(mode & KEPT_MODE_BITS);
    const mtime = new Date(mtimeMs);
    await this.handle.utimes(mtime, mtime);
    await this.close();
    await rename(this.path, target);
  }

  /** Closes and removes the temporary file; safe to call at any time, more than once. */
  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** What is left of `buffers` after the first `written` bytes went out (a short writev). */
function unwritten(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) skip -= buffer.length;
    else {
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
  }
  return rest;
}

/** A write error that means the destination is full, turned into one that says so and what to do. */
export async function diskFullError(err: unknown, displayName: string, dir: string): Promise<GrittyError | undefined> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined || !DISK_FULL_CODES.has(code)) return undefined;
  const free = await statfs(dir).then((s) => s.bavail * s.bsize, () => undefined);
  const room = free === undefined ? '' : `; ${formatBytes(free)} free there`;
  const what = code === 'EFBIG' ? 'the file is larger than this process may write (ulimit -f)' : code === 'EDQUOT' ? 'the disk quota is used up' : 'no space left on the disk';
  return new GrittyError('disk-full', `${what} while writing ${printable(displayName)} in ${printable(dir)}${room}. Free some space (or receive elsewhere) and send again; the target was left untouched`, { cause: err });
}

/**
 * Removes temporary files left in `dir` by receivers that were killed (kill -9, a
 * crash): those whose owning pid no longer runs. Returns how many were removed.
 */
export async function sweepStaleParts(dir: string): Promise<number> {
  let removed = 0;
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const pid = PART_PATTERN.exec(entry)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    const path = join(dir, entry);
    const stat = await lstat(path).catch(() => undefined);
    if (stat === undefined || !stat.isFile()) continue;
    if (await unlink(path).then(() => true, () => false)) removed += 1;
  }
  return removed;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
