import { parentPort, workerData } from 'node:worker_threads';
import xterm from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { EmulatorState } from './emulator-state.js';
import type { ScreenReply, ScreenRequest, ScreenWorkerData } from './screen-protocol.js';
import { picture, type Emulator } from './screen-picture.js';

/** The emulator type the worker keeps: the real terminal, which the picture reads through a narrower type. */
interface Headless extends Emulator {
  term: InstanceType<typeof xterm.Terminal>;
}

/**
 * Runs in a worker thread: one headless terminal per session, fed from the session's
 * ring, so that a fresh attach can be shown the current screen without the relay's
 * event loop ever parsing a byte.
 */
const port = parentPort;
if (port === null) throw new Error('screen-worker must run in a worker thread');
const emulators = new Map<string, Headless>();
let fault = (workerData as ScreenWorkerData | undefined)?.fault;

function reply(msg: ScreenReply): void {
  port!.postMessage(msg);
}

port.on('message', (req: ScreenRequest) => {
  switch (req.op) {
    case 'open':
      emulators.set(req.id, createEmulator(req));
      return;
    case 'write': {
      const emu = emulators.get(req.id);
      if (emu === undefined) return;
      emu.term.write(req.data, () => reply({ op: 'written', id: req.id, bytes: req.data.length }));
      return;
    }
    case 'resize':
      emulators.get(req.id)?.term.resize(req.cols, req.rows);
      return;
    case 'reset': {
      const emu = emulators.get(req.id);
      emu?.term.reset();
      emu?.state.reset();
      return;
    }
    case 'snapshot': {
      injectFault();
      const emu = emulators.get(req.id);
      if (emu === undefined) {
        reply({ op: 'snapshot', req: req.req, data: '' });
        return;
      }
      emu.term.write('', () => reply({ op: 'snapshot', req: req.req, data: picture(emu, req.scrollback, req.maxChars) }));
      return;
    }
    case 'close':
      emulators.get(req.id)?.term.dispose();
      emulators.delete(req.id);
      return;
  }
});

function createEmulator(size: { cols: number; rows: number; scrollback: number }): Headless {
  const term = new xterm.Terminal({ cols: size.cols, rows: size.rows, scrollback: size.scrollback, allowProposedApi: true });
  const serializer = new serialize.SerializeAddon();
  term.loadAddon(serializer);
  return { term, serializer, state: new EmulatorState(term) };
}

/** Test-only (GRITTY_TEST_SCREEN_CRASH): the first snapshot of this worker crashes it or never answers. */
function injectFault(): void {
  const planned = fault;
  fault = undefined;
  if (planned === 'throw') throw new Error('screen worker: test fault (GRITTY_TEST_SCREEN_CRASH=throw)');
  if (planned === 'hang') for (;;);
}
