import { DAEMON_ONLY_ENV } from '../relay/daemon-env.js';
import { isTerminalVar } from '../relay/terminal-env.js';

/**
 * The environment a session's shell starts with: the daemon's own, less what gritty
 * set for the daemon alone (relay/daemon-env.ts) and what belongs to the daemon's
 * terminal (so tmux starts inside a session even when the daemon was started from
 * inside tmux), plus the client's terminal settings and gritty's own.
 */
const DAEMON_ONLY = [
  'TMUX',
  'TMUX_PANE',
  'STY',
  'WINDOW',
  'GRITTY_SOCK',
  'GRITTY_SESSION',
  'GRITTY_SESSION_NAME',
  'COLUMNS',
  'LINES',
  // the ssh login that started the daemon is not the session's: its agent and tty are gone when it ends
  'SSH_CONNECTION',
  'SSH_CLIENT',
  'SSH_TTY',
  'SSH_AUTH_SOCK',
];
/** The terminal program the daemon happened to be started from (TERM_PROGRAM, TERM_PROGRAM_VERSION, …). */
const DAEMON_ONLY_PREFIX = 'TERM_PROGRAM';

export interface SessionEnvInput {
  daemonEnv: Record<string, string | undefined>;
  clientEnv: Record<string, string>;
  /** The session's own sockets: for helpers run inside it, and its ssh-agent. */
  sockets: { service: string; agent: string };
  /** The command `$BROWSER` runs: gritty open, which opens a URL on the attached laptop. */
  browser: string;
  sessionId: string;
  sessionName: string;
}

export function sessionEnv(input: SessionEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  const addedForDaemon = [DAEMON_ONLY_ENV, ...(input.daemonEnv[DAEMON_ONLY_ENV]?.split(',') ?? [])];
  for (const [key, value] of Object.entries(input.daemonEnv)) {
    if (value === undefined || DAEMON_ONLY.includes(key) || addedForDaemon.includes(key) || key.startsWith(DAEMON_ONLY_PREFIX) || isTerminalVar(key)) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(input.clientEnv)) {
    if (isTerminalVar(key)) env[key] = value;
  }
  env.TERM ??= 'xterm-256color';
  env.GRITTY_SOCK = input.sockets.service;
  env.SSH_AUTH_SOCK = input.sockets.agent;
  env.BROWSER = input.browser;
  env.GRITTY_SESSION = input.sessionId;
  env.GRITTY_SESSION_NAME = input.sessionName;
  return env;
}
