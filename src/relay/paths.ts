import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

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
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime !== '') return join(runtime, 'gritty');
  return join('/tmp', `gritty-${userInfo().uid}`);
}

export function stateDir(env: Env = process.env): string {
  const state = env.XDG_STATE_HOME;
  return join(state !== undefined && state !== '' ? state : join(homeOf(env), '.local', 'state'), 'gritty');
}

export function configFile(env: Env = process.env): string {
  const config = env.XDG_CONFIG_HOME;
  return join(config !== undefined && config !== '' ? config : join(homeOf(env), '.config'), 'gritty', 'config.toml');
}

export function paths(env: Env = process.env): Paths {
  const dir = socketDir(env);
  return { socketDir: dir, ctlSocket: join(dir, 'ctl.sock'), stateDir: stateDir(env), configFile: configFile(env) };
}

export function daemonLogFile(state: string): string {
  return join(state, 'daemon.log');
}

export function deviceIdFile(state: string): string {
  return join(state, 'device-id');
}

function homeOf(env: Env): string {
  const home = env.HOME;
  return home !== undefined && home !== '' ? home : homedir();
}
