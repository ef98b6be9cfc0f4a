import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Every path gritty reads or writes. Sockets live in the runtime dir, logs and the
 * device id in the state dir, the config in the config dir (XDG base directories).
 */
export interface Paths {
  socketDir: string;
  ctlSocket: string;
  stateDir: string;
  configFile: string;
}

export type Env = Record<string, string | undefined>;

export function socketDir(env: Env = process.env): string {
  const runtime = xdg(env, 'XDG_RUNTIME_DIR');
  if (runtime !== undefined) return join(runtime, 'gritty');
  return join('/tmp', `gritty-${userInfo().uid}`);
}

export function stateDir(env: Env = process.env): string {
  return join(xdg(env, 'XDG_STATE_HOME') ?? join(homeOf(env), '.local', 'state'), 'gritty');
}

export function configFile(env: Env = process.env): string {
  return join(xdg(env, 'XDG_CONFIG_HOME') ?? join(homeOf(env), '.config'), 'gritty', 'config.toml');
}

export function paths(env: Env = process.env): Paths {
  const dir = socketDir(env);
  return { socketDir: dir, ctlSocket: join(dir, 'ctl.sock'), stateDir: stateDir(env), configFile: configFile(env) };
}

/** A session's own sockets in the daemon's private dir: for helpers run inside it, and its ssh-agent. */
export function sessionSocketPaths(socketDir: string, sessionId: string): { service: string; agent: string } {
  return { service: join(socketDir, `svc-${sessionId}.sock`), agent: join(socketDir, `agent-${sessionId}.sock`) };
}

export function daemonLogFile(state: string): string {
  return join(state, 'daemon.log');
}

/** Each command's own log (gritty -v shows the same lines on stderr). */
export function clientLogFile(state: string): string {
  return join(state, 'client.log');
}

export function deviceIdFile(state: string): string {
  return join(state, 'device-id');
}

/** XDG variables that are set but relative, which the XDG spec says to ignore (and info reports). */
export function ignoredXdgVariables(env: Env = process.env): string[] {
  return XDG_VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '' && !isAbsolute(env[name]!));
}

const XDG_VARIABLES = ['XDG_RUNTIME_DIR', 'XDG_STATE_HOME', 'XDG_CONFIG_HOME'] as const;

/** The variable's value when it is an absolute path; a relative one is invalid by the XDG spec and ignored. */
function xdg(env: Env, name: (typeof XDG_VARIABLES)[number]): string | undefined {
  const value = env[name];
  return value !== undefined && isAbsolute(value) ? value : undefined;
}

function homeOf(env: Env): string {
  const home = env.HOME;
  return home !== undefined && home !== '' ? home : homedir();
}
