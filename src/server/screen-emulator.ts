import { createRequire } from 'node:module';
import type xtermModule from '@xterm/headless';
import type serializeModule from '@xterm/addon-serialize';
import { EmulatorState } from './emulator-state.js';
import type { Emulator } from './screen-picture.js';

/** A headless terminal that a Screen feeds and then drops: the real terminal, read by the picture through a narrower type. */
export interface LiveEmulator extends Emulator {
  term: InstanceType<typeof xtermModule.Terminal>;
}

interface Packages {
  xterm: typeof xtermModule;
  serialize: typeof serializeModule;
}

let packages: Packages | undefined;

/**
 * Loaded on the first emulator, not when the daemon starts: a daemon whose sessions
 * nobody has attached to fresh never parses a byte, and saves the ~3 MB the packages
 * cost once loaded.
 */
function load(): Packages {
  if (packages === undefined) {
    const require = createRequire(import.meta.url);
    packages = { xterm: require('@xterm/headless') as typeof xtermModule, serialize: require('@xterm/addon-serialize') as typeof serializeModule };
  }
  return packages;
}

export function createEmulator(size: { cols: number; rows: number; scrollback: number }): LiveEmulator {
  const { xterm, serialize } = load();
  const term = new xterm.Terminal({ cols: size.cols, rows: size.rows, scrollback: size.scrollback, allowProposedApi: true });
  const serializer = new serialize.SerializeAddon();
  term.loadAddon(serializer);
  return { term, serializer, state: new EmulatorState(term) };
}

/**
 * A write not parsed within this failed: xterm.js lets an exception thrown while parsing
 * escape to the event loop, and then never calls back. A slice takes under a millisecond.
 */
const PARSE_TIMEOUT_MS = 10_000;

/** Resolves once the emulator has parsed `data` (xterm.js parses on a later turn of the event loop). */
export function writeTo(emu: LiveEmulator, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the screen emulator did not parse ${data.length} bytes within ${PARSE_TIMEOUT_MS / 1000} s`)), PARSE_TIMEOUT_MS);
    emu.term.write(data, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
