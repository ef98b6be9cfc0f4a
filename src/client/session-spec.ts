import { GrittyError } from '../relay/errors.js';
import type { SessionSpec } from '../relay/messages.js';
import { LOCAL_HOST } from '../relay/names.js';
import { isTerminalVar } from '../relay/terminal-env.js';
import type { LocalTerminal } from './terminal.js';

/** What a new session is started with: this terminal's settings, and the cwd for local sessions. */
export function sessionSpec(options: {
  host: string;
  name: string | undefined;
  command: string | undefined;
  terminal: LocalTerminal | undefined;
  /** The output history to keep (config ring-buffer-size for this host). */
  ringBytes: number;
}): SessionSpec {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && isTerminalVar(key)) env[key] = value;
  }
  const size = options.terminal?.size ?? { cols: 80, rows: 24 };
  return {
    name: options.name,
    command: options.command,
    cwd: options.host === LOCAL_HOST ? currentDir() : undefined,
    env,
    ...size,
    ringBytes: options.ringBytes,
  };
}

/**
 * This process's working directory. Once it is deleted the system no longer tells its
 * name; the shell's $PWD still does, so the daemon can refuse it by name.
 */
function currentDir(): string {
  try {
    return process.cwd();
  } catch (err) {
    const pwd = process.env.PWD;
    if (pwd !== undefined && pwd !== '') return pwd;
    throw new GrittyError('spawn-failed', 'the current directory no longer exists; cd to an existing directory and try again', { cause: err });
  }
}
