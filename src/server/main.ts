import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Logger } from '../relay/log.js';
import { daemonLogFile } from '../relay/paths.js';
import { Daemon } from './daemon.js';

/** Ring size per session: enough for a screenful of anything and 50 000 lines of shell output. */
export const DEFAULT_RING_BYTES = 1 << 20;

export interface ServerOptions {
  ctlSocket: string;
  stateDir: string;
  ringBytes: number;
  verbose: boolean;
}

/** Composition root of the daemon (`gritty server -f`): runs until kill-server or a signal. */
export async function runServer(options: ServerOptions): Promise<number> {
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const log = new Logger({ file: daemonLogFile(options.stateDir) }, options.verbose ? 'debug' : 'info');
  process.umask(0o077);
  const daemon = new Daemon({ socketDir: dirname(options.ctlSocket), ctlSocket: options.ctlSocket, ringBytes: options.ringBytes, log });
  await daemon.listen();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => daemon.shutdown());
  process.on('SIGHUP', () => log.info('ignoring SIGHUP'));
  process.on('uncaughtException', (err) => log.error('uncaught exception', err));
  await daemon.whenStopped();
  return 0;
}
