import { isTerminalVar } from '../relay/terminal-env.js';

/**
 * The environment a session's shell starts with: the daemon's own, less what belongs
 * to the daemon's terminal (so tmux starts inside a session even when the daemon was
 * started from inside tmux), plus the client's terminal settings and gritty's own.
 */
const DAEMON_ONLY = ['TMUX', 'TMUX_PANE', 'STY', 'WINDOW', 'GRITTY_SOCK', 'GRITTY_SESSION', 'GRITTY_SESSION_NAME', 'COLUMNS', 'LINES'];

export interface SessionEnvInput {
  daemonEnv: Record<string, string | undefined>;
  clientEnv: Record<string, string>;
  ctlSocket: string;
  sessionId: string;
  sessionName: string;
}

export function sessionEnv(input: SessionEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.daemonEnv)) {
    if (value === undefined || DAEMON_ONLY.includes(key) || isTerminalVar(key)) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(input.clientEnv)) {
    if (isTerminalVar(key)) env[key] = value;
  }
  env.TERM ??= 'xterm-256color';
  env.GRITTY_SOCK = input.ctlSocket;
  env.GRITTY_SESSION = input.sessionId;
  env.GRITTY_SESSION_NAME = input.sessionName;
  return env;
}
