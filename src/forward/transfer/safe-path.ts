import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GrittyError } from '../../relay/errors.js';
import { isPrintable, printable } from '../../relay/printable.js';
import { MAX_NAME_BYTES, MAX_PATH_BYTES } from './format.js';

/**
 * The boundary between names a peer sends and the receiver's file system. A name is
 * refused outright when it could mean anything but a plain relative path (absolute,
 * `..`, `.`, empty components, NUL or control characters); a well-formed name is
 * refused when a component on the way is a symlink or not a directory, checked with
 * lstat at the moment of use. Node has no openat(), so a local process that can write
 * the destination can still race these checks; a remote peer cannot, as the receiver
 * never creates a symlink.
 */

function unsafe(name: string, why: string): GrittyError {
  return new GrittyError('unsafe-path', `refused the name "${printable(name.slice(0, 256))}": ${why}`);
}

/** Pure: the components of a relative name a peer sent, or an `unsafe-path` error. */
export function splitSafeName(name: string): string[] {
  if (name.length === 0) throw unsafe(name, 'it is empty');
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) throw unsafe(name, `it is longer than ${MAX_PATH_BYTES} bytes`);
  if (name.includes('\0')) throw unsafe(name, 'it contains a NUL byte');
  if (!isPrintable(name)) throw unsafe(name, 'it contains control characters');
  if (name.startsWith('/')) throw unsafe(name, 'it is absolute');
  const parts = name.split('/');
  for (const part of parts) {
    if (part === '') throw unsafe(name, 'it has an empty component');
    if (part === '.' || part === '..') throw unsafe(name, `it has a "${part}" component`);
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw unsafe(name, `a component is longer than ${MAX_NAME_BYTES} bytes`);
  }
  return parts;
}

/** What lies at a path, without following a symlink there. */
type Existing = 'none' | 'file' | 'dir' | 'symlink' | 'other';

export async function existingAt(path: string): Promise<Existing> {
  try {
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) return 'symlink';
    if (stat.isDirectory()) return 'dir';
    return stat.isFile() ? 'file' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw err;
  }
}

/**
 * Makes sure each of `parts` under `root` is a real directory (not a symlink),
 * creating missing ones with `newDirMode` when `create` is set. Returns the path and
 * whether the last directory was created by this call. `root` must be a real path.
 */
export async function ensureDirs(root: string, name: string, parts: readonly string[], newDirMode: number): Promise<{ path: string; created: boolean }> {
  let path = root;
  let created = false;
  for (const part of parts) {
    path = join(path, part);
    created = false;
    let kind = await existingAt(path);
    if (kind === 'none') {
      try {
        await mkdir(path, { mode: newDirMode });
        created = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      kind = await existingAt(path);
    }
    if (kind === 'symlink') throw unsafe(name, `"${printable(part)}" in the destination is a symlink, and a received file never goes through one`);
    if (kind !== 'dir') throw unsafe(name, `"${printable(part)}" in the destination is not a directory`);
  }
  return { path, created };
}
