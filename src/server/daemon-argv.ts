import { isAbsolute, resolve } from 'node:path';
import { stateDir } from '../relay/paths.js';

/** What a daemon started by server-start.ts needs to know, read without the CLI. */
export interface DaemonArgv {
  ctlSocket: string;
  stateDir: string;
  verbose: boolean;
}

/**
 * The exact arguments client/server-start.ts spawns the daemon with
 * (`--ctl-socket PATH [--verbose] server --foreground`), or undefined for anything
 * else, which the CLI parses as usual. Recognising them here lets the daemon start
 * without loading the CLI and its packages (~2 MB of the daemon's resident memory for
 * its whole life; docs/MEMORY.md).
 */
export function daemonArgv(args: readonly string[], env: NodeJS.ProcessEnv = process.env): DaemonArgv | undefined {
  const verbose = args[2] === '--verbose';
  const path = args[1];
  const command = args.slice(verbose ? 3 : 2);
  if (args[0] !== '--ctl-socket' || path === undefined || path === '' || command.length !== 2 || command[0] !== 'server' || command[1] !== '--foreground') return undefined;
  return { ctlSocket: isAbsolute(path) ? path : resolve(path), stateDir: stateDir(env), verbose };
}
