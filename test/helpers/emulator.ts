import xterm from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { EmulatorState } from '../../src/server/emulator-state.js';
import type { Emulator } from '../../src/server/screen-picture.js';

/** An emulator as screen-emulator.ts builds one, with the real terminal's full API for the test to drive. */
export interface TestEmulator extends Emulator {
  term: InstanceType<typeof xterm.Terminal>;
}

export function createEmulator(size: { cols: number; rows: number; scrollback: number }): TestEmulator {
  const term = new xterm.Terminal({ cols: size.cols, rows: size.rows, scrollback: size.scrollback, allowProposedApi: true });
  const serializer = new serialize.SerializeAddon();
  term.loadAddon(serializer);
  return { term, serializer, state: new EmulatorState(term) };
}

/** Resolves once the emulator has parsed `data`. */
export function write(emu: TestEmulator, data: string): Promise<void> {
  return new Promise((resolve) => emu.term.write(data, resolve));
}
