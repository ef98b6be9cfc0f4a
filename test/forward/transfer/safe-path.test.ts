import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, normalize, relative, isAbsolute } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isGrittyError } from '../../../src/relay/errors.js';
import { ensureDirs, splitSafeName } from '../../../src/forward/transfer/safe-path.js';
import { tempDir } from './link.js';

function refusal(name: string): string {
  try {
    splitSafeName(name);
  } catch (err) {
    if (isGrittyError(err, 'unsafe-path')) return err.message;
    throw err;
  }
  throw new Error(`${JSON.stringify(name)} was accepted`);
}

describe('splitSafeName', () => {
  test('splits plain relative names into their components', () => {
    expect(splitSafeName('a')).toEqual(['a']);
    expect(splitSafeName('dir/sub/file.txt')).toEqual(['dir', 'sub', 'file.txt']);
    expect(splitSafeName('..hidden/...')).toEqual(['..hidden', '...']);
    expect(splitSafeName('naïve café/日本')).toEqual(['naïve café', '日本']);
    expect(splitSafeName('back\\slash')).toEqual(['back\\slash']);
  });

  test.each([
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['..', /"\.\." component/],
    ['a/..', /"\.\." component/],
    ['.', /"\." component/],
    ['a//b', /empty component/],
    ['a/', /empty component/],
    ['a\0b', /NUL/],
    ['a\tb', /control/],
    ['a\u007fb', /control/],
    ['a\u2028b', /control/],
    ['x'.repeat(256), /255 bytes/],
    ['é'.repeat(128), /255 bytes/],
    [`${'a/'.repeat(2049)}a`, /4096 bytes/],
  ])('refuses %j', (name, why) => {
    expect(refusal(name)).toMatch(why);
  });

  test('whatever it accepts stays under the destination once joined', () => {
    const component = fc.oneof(fc.constantFrom('.', '..', '', 'a', '\0', '/', '\x1b'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(component, { maxLength: 6 }), (parts) => {
        const name = parts.join('/');
        let accepted: string[];
        try {
          accepted = splitSafeName(name);
        } catch {
          return;
        }
        const inside = relative('/dest', join('/dest', name));
        expect(isAbsolute(inside) || inside.startsWith('..') || inside === '').toBe(false);
        expect(normalize(name)).toBe(name);
        expect(accepted.join('/')).toBe(name);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('ensureDirs', () => {
  let work: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    work = await tempDir('safe-path');
    await mkdir(join(work.path, 'real/inner'), { recursive: true });
    await mkdir(join(work.path, 'elsewhere'));
    await symlink(join(work.path, 'elsewhere'), join(work.path, 'real/link'));
    await writeFile(join(work.path, 'real/file'), '');
  });
  afterAll(async () => {
    await work.remove();
  });

  test('creates what is missing and says whether the last one was new', async () => {
    const root = join(work.path, 'real');
    expect(await ensureDirs(root, 'inner/x/y', ['inner', 'x', 'y'], 0o755)).toEqual({ path: join(root, 'inner/x/y'), created: true });
    expect(await ensureDirs(root, 'inner/x/y', ['inner', 'x', 'y'], 0o755)).toEqual({ path: join(root, 'inner/x/y'), created: false });
  });

  test('refuses a symlink or a file on the way', async () => {
    const root = join(work.path, 'real');
    await expect(ensureDirs(root, 'link/x', ['link', 'x'], 0o755)).rejects.toThrow(/"link" in the destination is a symlink/);
    await expect(ensureDirs(root, 'file/x', ['file', 'x'], 0o755)).rejects.toThrow(/"file" in the destination is not a directory/);
  });
});
