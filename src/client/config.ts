import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isPlainObject } from '../relay/schema.js';

/**
 * The optional config file ($XDG_CONFIG_HOME/gritty/config.toml). Precedence:
 * command-line flag > [host.<name>] > [defaults] (or [defaults.connect]) > built-in.
 * ssh-options accumulate instead: flag options first, then host, then defaults, since
 * ssh takes the first value it sees.
 */
export interface Settings {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  noEscape: boolean;
  noRedraw: boolean;
  sshCommand: string | undefined;
  sshOptions: string[];
  noServerStart: boolean;
  remoteBin: string | undefined;
  /** What to ssh to for a connection name that gritty connect has not set up. */
  destination: string | undefined;
}

export const BUILT_IN: Settings = {
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 15_000,
  noEscape: false,
  noRedraw: false,
  sshCommand: undefined,
  sshOptions: [],
  noServerStart: false,
  remoteBin: undefined,
  destination: undefined,
};

export interface ConfigFile {
  /** Set when the file exists but could not be used; gritty carries on with the built-in defaults. */
  problem: string | undefined;
  table: Record<string, unknown>;
}

export function readConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? undefined : `cannot read ${path}: ${(err as Error).message}`, table: {} };
  }
  try {
    // loaded only when a config file exists: most runs have none and start faster without it
    const TOML = createRequire(import.meta.url)('@iarna/toml') as typeof import('@iarna/toml');
    return { problem: undefined, table: TOML.parse(text) as Record<string, unknown> };
  } catch (err) {
    return { problem: `${path} is not valid TOML (${(err as Error).message.split('\n')[0]}); using built-in defaults`, table: {} };
  }
}

/** The settings for `host` from a parsed config; malformed values are reported in `problems`. */
export function settingsFor(config: ConfigFile, host: string): { settings: Settings; problems: string[] } {
  const problems: string[] = config.problem !== undefined ? [config.problem] : [];
  const tables = (name: string): Record<string, unknown> => {
    let node: unknown = config.table;
    for (const part of name.split('.')) node = isPlainObject(node) ? node[part] : undefined;
    return isPlainObject(node) ? node : {};
  };
  const host_ = isPlainObject(tables('host')[host]) ? (tables('host')[host] as Record<string, unknown>) : {};
  const layers: [string, Record<string, unknown>][] = [
    [`host.${host}`, host_],
    ['defaults.connect', tables('defaults.connect')],
    ['defaults', tables('defaults')],
  ];
  const pick = <T>(key: string, check: (v: unknown) => v is T, fallback: T): T => {
    for (const [where, layer] of layers) {
      if (!(key in layer)) continue;
      if (check(layer[key])) return layer[key];
      problems.push(`[${where}] ${key} has the wrong type; ignoring it`);
    }
    return fallback;
  };
  const seconds = (key: string, fallbackMs: number): number => pick(key, isPositiveNumber, fallbackMs / 1000) * 1000;
  const sshOptions: string[] = [];
  for (const [where, layer] of layers) {
    const value = layer['ssh-options'];
    if (value === undefined) continue;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) sshOptions.push(...value);
    else problems.push(`[${where}] ssh-options must be a list of strings; ignoring it`);
  }
  return {
    settings: {
      heartbeatIntervalMs: seconds('heartbeat-interval', BUILT_IN.heartbeatIntervalMs),
      heartbeatTimeoutMs: seconds('heartbeat-timeout', BUILT_IN.heartbeatTimeoutMs),
      noEscape: pick('no-escape', isBoolean, BUILT_IN.noEscape),
      noRedraw: pick('no-redraw', isBoolean, BUILT_IN.noRedraw),
      sshCommand: pick<string | undefined>('ssh-command', isString, undefined),
      sshOptions,
      noServerStart: pick('no-server-start', isBoolean, BUILT_IN.noServerStart),
      remoteBin: pick<string | undefined>('remote-bin', isString, undefined),
      destination: pick<string | undefined>('destination', isString, undefined),
    },
    problems,
  };
}

function isBoolean(v: unknown): v is boolean {
  return typeof v === 'boolean';
}

function isString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function isPositiveNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}
