import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EMPTY_CONFIG, checkConfig, type CheckedConfig, type LineOf } from './config-check.js';
import { CONNECT_KEYS, SESSION_KEYS, formatProblem, type ConfigProblem, type ConnectKey, type SessionKey, type Value } from './config-schema.js';

/**
 * Settings resolved for one host. Precedence: command-line flag > [host.<name>] >
 * [defaults] > built-in; ssh-options accumulate instead (command line, then host, then
 * defaults), since ssh keeps the first value it sees. Times are in milliseconds.
 */
export interface Settings {
  forwardAgent: boolean;
  forwardOpen: boolean;
  forwardPorts: boolean;
  noEscape: boolean;
  noRedraw: boolean;
  oauthRedirect: boolean;
  oauthTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  ringBufferBytes: number;
  oauthTunnelIdleTimeoutMs: number;
  openCommand: string | undefined;
  sshOptions: string[];
  noServerStart: boolean;
  sshCommand: string | undefined;
  remoteBin: string | undefined;
  /** What to ssh to for a connection name that gritty connect has not set up. */
  destination: string | undefined;
}

/** What the command line said, in the file's own keys and units; absent means "not given". */
export type CliOverrides = Partial<Record<SessionKey | ConnectKey, Value>>;

export interface LoadedConfig {
  path: string;
  exists: boolean;
  config: CheckedConfig;
  problems: ConfigProblem[];
}

/** Reads and checks the config file. Never throws: a bad file gives problems and the built-in settings. */
export function readConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path, exists: false, config: EMPTY_CONFIG, problems: [] };
    return { path, exists: true, config: EMPTY_CONFIG, problems: [{ kind: 'unreadable', line: undefined, key: '', expected: 'a readable file', found: `cannot read it (${code ?? (err as Error).message})` }] };
  }
  return { path, exists: true, ...parseConfig(text) };
}

/** Parses and checks config text. Pure apart from loading the TOML parser. */
export function parseConfig(text: string): { config: CheckedConfig; problems: ConfigProblem[] } {
  let doc: Record<string, unknown>;
  try {
    // loaded only when a config file exists: most runs have none and start faster without it
    const TOML = createRequire(import.meta.url)('@iarna/toml') as typeof import('@iarna/toml');
    doc = TOML.parse(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as Error & { line?: number };
    const reason = e.message.split('\n')[0]!.replace(/ at row \d+, col \d+, pos \d+:?$/, '');
    return { config: EMPTY_CONFIG, problems: [{ kind: 'syntax', line: e.line !== undefined ? e.line + 1 : undefined, key: '', expected: 'valid TOML', found: `not valid TOML (${reason})` }] };
  }
  return checkConfig(doc, lineLocator(text));
}

/** The settings for `host`: command line over [host.<name>] over [defaults] over built-in. */
export function resolveSettings(config: CheckedConfig, host: string, cli: CliOverrides = {}): Settings {
  const h = Object.prototype.hasOwnProperty.call(config.hosts, host) ? config.hosts[host] : undefined;
  const session = <K extends SessionKey>(key: K): Value | undefined => cli[key] ?? h?.session[key] ?? config.defaults[key] ?? (SESSION_KEYS[key].default as Value | undefined);
  const connect = <K extends ConnectKey>(key: K): Value | undefined => cli[key] ?? h?.connect[key] ?? config.defaultsConnect[key] ?? (CONNECT_KEYS[key].default as Value | undefined);
  const ms = (key: SessionKey): number => Number(session(key)) * 1000;
  const str = (v: Value | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const list = (v: Value | undefined): string[] => (Array.isArray(v) ? v : []);
  return {
    forwardAgent: session('forward-agent') === true,
    forwardOpen: session('forward-open') === true,
    forwardPorts: session('forward-ports') === true,
    noEscape: session('no-escape') === true,
    noRedraw: session('no-redraw') === true,
    oauthRedirect: session('oauth-redirect') === true,
    oauthTimeoutMs: ms('oauth-timeout'),
    heartbeatIntervalMs: ms('heartbeat-interval'),
    heartbeatTimeoutMs: ms('heartbeat-timeout'),
    ringBufferBytes: Number(session('ring-buffer-size')),
    oauthTunnelIdleTimeoutMs: ms('oauth-tunnel-idle-timeout'),
    openCommand: str(session('open-command')),
    sshOptions: [...list(cli['ssh-options']), ...list(h?.connect['ssh-options']), ...list(config.defaultsConnect['ssh-options'])],
    noServerStart: connect('no-server-start') === true,
    sshCommand: str(connect('ssh-command')),
    remoteBin: str(connect('remote-bin')),
    destination: str(h?.own.destination),
  };
}

/** The one line every command that read a faulty file prints on stderr, or undefined. */
export function configWarning(loaded: LoadedConfig): string | undefined {
  const [first, ...rest] = loaded.problems;
  if (first === undefined) return undefined;
  const more = rest.length > 0 ? ` (and ${rest.length} more)` : '';
  return `gritty: warning: config ${loaded.path}: ${formatProblem(first)}${more}; what is wrong is ignored; gritty info lists every problem`;
}

/** Line numbers for dotted keys and tables, by reading the text the way TOML lays it out. */
export function lineLocator(text: string): LineOf {
  const lines = new Map<string, number>();
  let table: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const header = /^\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (header !== null) {
      table = splitKey(header[1]!);
      for (let n = 1; n <= table.length; n++) {
        const key = table.slice(0, n).join('\0');
        if (!lines.has(key)) lines.set(key, i + 1);
      }
      return;
    }
    const assignment = /^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=/.exec(line);
    if (assignment === null) return;
    const path = [...table, ...splitKey(assignment[1]!)];
    for (let n = table.length + 1; n <= path.length; n++) {
      const key = path.slice(0, n).join('\0');
      if (!lines.has(key)) lines.set(key, i + 1);
    }
  });
  return (path) => lines.get(path.join('\0'));
}

function splitKey(key: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < key.length && (m = re.exec(key)) !== null) parts.push(m[1] ?? m[2] ?? m[3]!);
  return parts;
}
