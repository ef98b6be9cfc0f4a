import type { SessionSpec } from '../relay/messages.js';
import { LOCAL_HOST } from '../relay/names.js';
import { isTerminalVar } from '../relay/terminal-env.js';
import type { LocalTerminal } from './terminal.js';

/** What a new session is started with: this terminal's settings, and the cwd for local sessions. */
export function sessionSpec(options: { host: string; name: string | undefined; command: string | undefined; terminal: LocalTerminal | undefined }): SessionSpec {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && isTerminalVar(key)) env[key] = value;
  }
  const size = options.terminal?.size ?? { cols: 80, rows: 24 };
  return {
    name: options.name,
    command: options.command,
    cwd: options.host === LOCAL_HOST ? process.cwd() : undefined,
    env,
    ...size,
  };
}
