import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBuiltin } from 'node:module';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

/**
 * Holds the architecture line from STYLE.md by reading import specifiers: static
 * imports, re-exports, dynamic import() and require() alike.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

interface Import {
  /** File that imports, relative to src/, with forward slashes. */
  from: string;
  specifier: string;
  /** For a relative specifier: the imported file relative to src/; undefined for a package. */
  target: string | undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** Every source file, relative to src/. */
const FILES = sourceFiles(SRC).map((file) => posix(relative(SRC, file)));

const IMPORTS: Import[] = sourceFiles(SRC).flatMap((file) => {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map(({ fileName: specifier }) => ({
    from: posix(relative(SRC, file)),
    specifier,
    target: specifier.startsWith('.') ? posix(relative(SRC, resolve(dirname(file), specifier))) : undefined,
  }));
});

/** Top folder under src/ ('relay', 'server', ...), or '' for src/main.ts. */
function layerOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : '';
}

/**
 * Which layers each layer may import (its own included): relay imports nothing of ours;
 * forward imports relay only; server and client import relay and forward, never each other.
 */
const LAYER_RULES: Record<string, readonly string[]> = {
  relay: ['relay'],
  forward: ['relay', 'forward'],
  server: ['relay', 'forward', 'server'],
  client: ['relay', 'forward', 'client'],
};

/** True when `imp`, made by a file of layer `from`, reaches a layer outside `allowed`. */
function breaks(imp: Import, from: string, allowed: readonly string[]): boolean {
  return layerOf(imp.from) === from && imp.target !== undefined && !allowed.includes(layerOf(imp.target));
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function violations(predicate: (imp: Import) => boolean): string[] {
  return IMPORTS.filter(predicate).map((imp) => `${imp.from} imports ${imp.specifier}`);
}

describe('the import graph', () => {
  test('is read from the real sources (the reader sees known imports)', () => {
    expect(IMPORTS.length).toBeGreaterThan(50);
    expect(IMPORTS).toContainEqual(expect.objectContaining({ from: 'server/pty.ts', specifier: 'node-pty' }));
    expect(IMPORTS).toContainEqual(expect.objectContaining({ from: 'relay/connection.ts', target: 'relay/codec.js' }));
  });

  test('relative imports stay inside src/', () => {
    expect(violations((imp) => imp.target !== undefined && imp.target.startsWith('..'))).toEqual([]);
  });

  test.each(Object.entries(LAYER_RULES))('%s imports only what its rule allows', (from, allowed) => {
    expect(violations((imp) => breaks(imp, from, allowed))).toEqual([]);
  });

  test('every folder under src/ has a layer rule, and every rule names a folder that exists', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(Object.keys(LAYER_RULES).sort());
  });

  test.each(Object.entries(LAYER_RULES))('the %s rule is live: it flags an import from outside what it allows', (from, allowed) => {
    const outside = Object.keys(LAYER_RULES).filter((layer) => !allowed.includes(layer));
    expect(outside.length).toBeGreaterThan(0);
    for (const layer of outside) {
      const forged: Import = { from: `${from}/x.ts`, specifier: `../${layer}/y.js`, target: `${layer}/y.js` };
      expect(breaks(forged, from, allowed), `${from} importing ${layer}`).toBe(true);
    }
    const inside: Import = { from: `${from}/x.ts`, specifier: './y.js', target: `${from}/y.js` };
    expect(breaks(inside, from, allowed)).toBe(false);
  });

  test('the rules are applied to every source file of each layer, found by a separate walk', () => {
    for (const layer of Object.keys(LAYER_RULES)) {
      const walked = (readdirSync(join(SRC, layer), { recursive: true }) as string[])
        .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
        .map((name) => `${layer}/${posix(name)}`);
      const scanned = FILES.filter((file) => layerOf(file) === layer);
      expect(scanned.sort(), layer).toEqual(walked.sort());
    }
  });

  const OWNERS: Record<string, string> = {
    'node-pty': 'server/pty.ts',
    msgpackr: 'relay/codec.ts',
    commander: 'client/cli.ts',
    '@xterm/headless': 'server/screen-emulator.ts',
    '@xterm/addon-serialize': 'server/screen-emulator.ts',
    open: 'forward/open/browser.ts',
  };

  test.each(Object.entries(OWNERS))('%s is imported only by %s', (pkg, owner) => {
    expect(violations((imp) => imp.target === undefined && packageOf(imp.specifier) === pkg && imp.from !== owner)).toEqual([]);
  });

  test('every @xterm package is imported only by the screen emulator module', () => {
    expect(violations((imp) => imp.target === undefined && imp.specifier.startsWith('@xterm/') && imp.from !== 'server/screen-emulator.ts')).toEqual([]);
  });

  test('each third-party package is imported by one file, so swapping it touches one place', () => {
    const importers = new Map<string, Set<string>>();
    for (const imp of IMPORTS) {
      if (imp.target !== undefined || isBuiltin(imp.specifier)) continue;
      const pkg = packageOf(imp.specifier);
      importers.set(pkg, (importers.get(pkg) ?? new Set()).add(imp.from));
    }
    const shared = [...importers].filter(([pkg, files]) => files.size > 1 && !pkg.startsWith('@xterm/')).map(([pkg, files]) => `${pkg}: ${[...files].join(', ')}`);
    expect(shared).toEqual([]);
  });
});
