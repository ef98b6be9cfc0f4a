import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Stats } from 'node:fs';
import { GrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import type { SkipReason } from './format.js';
import { splitSafeName } from './safe-path.js';

/** One thing to send, in sending order: a directory always comes before what it holds. */
export type PlannedEntry =
  | { kind: 'dir'; name: string; mode: number; mtimeMs: number }
  | { kind: 'file'; name: string; source: string; followLink: boolean }
  | { kind: 'skipped'; name: string; reason: SkipReason };

export interface Plan {
  entries: PlannedEntry[];
  files: number;
  bytes: number;
}

/**
 * Walks what the user named. A named path is taken as named (a symlink the user typed
 * is followed); inside a `-r` tree nothing is followed: symlinks are skipped and
 * reported, as are sockets, fifos and devices, so a tree never leads out of itself.
 * Names the receiver would refuse (control characters, over-long) are skipped too.
 */
export async function planTransfer(paths: readonly string[], recursive: boolean): Promise<Plan> {
  if (paths.length === 0) throw new GrittyError('bad-usage', 'name at least one file to send, or use --stdin to send a pipe');
  const plan: Plan = { entries: [], files: 0, bytes: 0 };
  for (const path of paths) {
    const name = basename(resolve(path));
    if (name === '') throw new GrittyError('bad-usage', `cannot send "${printable(path)}" as a whole; name the files or directories in it`);
    if (!isSafeName(name)) throw new GrittyError('bad-usage', `the name of ${printable(path)} has control characters or is too long, and the receiver would refuse it: rename it first`);
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new GrittyError('bad-usage', `cannot read ${printable(path)}: ${err.code ?? err.message}. Check the name and its permissions`, { cause: err });
    });
    if (info.isDirectory()) {
      if (!recursive) throw new GrittyError('bad-usage', `${printable(path)} is a directory; send it with -r`);
      await addTree(plan, path, name, info);
    } else if (info.isFile()) {
      addFile(plan, path, name, info, true);
    } else {
      throw new GrittyError('bad-usage', `${printable(path)} is not a regular file or directory`);
    }
  }
  return plan;
}

function addFile(plan: Plan, source: string, name: string, info: Stats, followLink: boolean): void {
  plan.entries.push({ kind: 'file', name, source, followLink });
  plan.files += 1;
  plan.bytes += info.size;
}

async function addTree(plan: Plan, dir: string, name: string, info: Stats): Promise<void> {
  plan.entries.push({ kind: 'dir', name, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs });
  const children = (await readdir(dir)).sort();
  for (const child of children) {
    const source = join(dir, child);
    const childName = `${name}/${child}`;
    const childInfo = await lstat(source);
    if (!isSafeName(childName)) plan.entries.push({ kind: 'skipped', name: childName, reason: 'unsafe-name' });
    else if (childInfo.isSymbolicLink()) plan.entries.push({ kind: 'skipped', name: childName, reason: 'symlink' });
    else if (childInfo.isDirectory()) await addTree(plan, source, childName, childInfo);
    else if (childInfo.isFile()) addFile(plan, source, childName, childInfo, false);
    else plan.entries.push({ kind: 'skipped', name: childName, reason: 'special' });
  }
}

function isSafeName(name: string): boolean {
  try {
    splitSafeName(name);
    return true;
  } catch {
    return false;
  }
}
