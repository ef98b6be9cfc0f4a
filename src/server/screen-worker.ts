import { parentPort } from 'node:worker_threads';
import xterm from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import type { ScreenReply, ScreenRequest } from './screen-protocol.js';

/**
 * Runs in a worker thread: one headless terminal per session, fed from the session's
 * ring, so that a fresh attach can be shown the current screen without the relay's
 * event loop ever parsing a byte.
 */
interface Emulator {
  term: InstanceType<typeof xterm.Terminal>;
  serializer: InstanceType<typeof serialize.SerializeAddon>;
}

const port = parentPort;
if (port === null) throw new Error('screen-worker must run in a worker thread');
const emulators = new Map<string, Emulator>();

function reply(msg: ScreenReply): void {
  port!.postMessage(msg);
}

port.on('message', (req: ScreenRequest) => {
  switch (req.op) {
    case 'open': {
      const term = new xterm.Terminal({ cols: req.cols, rows: req.rows, scrollback: req.scrollback, allowProposedApi: true });
      const serializer = new serialize.SerializeAddon();
      term.loadAddon(serializer);
      emulators.set(req.id, { term, serializer });
      return;
    }
    case 'write': {
      const emu = emulators.get(req.id);
      if (emu === undefined) return;
      emu.term.write(req.data, () => reply({ op: 'written', id: req.id, bytes: req.data.length }));
      return;
    }
    case 'resize':
      emulators.get(req.id)?.term.resize(req.cols, req.rows);
      return;
    case 'reset':
      emulators.get(req.id)?.term.reset();
      return;
    case 'snapshot': {
      const emu = emulators.get(req.id);
      if (emu === undefined) {
        reply({ op: 'snapshot', req: req.req, data: '' });
        return;
      }
      emu.term.write('', () => reply({ op: 'snapshot', req: req.req, data: serializeWithin(emu, req.scrollback, req.maxChars) }));
      return;
    }
    case 'close':
      emulators.get(req.id)?.term.dispose();
      emulators.delete(req.id);
      return;
  }
});

/** The screen plus as much scrollback as fits in one frame. */
function serializeWithin(emu: Emulator, scrollback: number, maxChars: number): string {
  for (let lines = scrollback; ; lines = Math.floor(lines / 2)) {
    const data = emu.serializer.serialize({ scrollback: lines });
    if (data.length <= maxChars || lines === 0) return data.slice(0, maxChars);
  }
}
