import {
  CONNECT_KEYS,
  HEARTBEAT_MIN_RATIO,
  HOST_ONLY_KEYS,
  SESSION_KEYS,
  checkValue,
  describeValue,
  suggest,
  type ConfigProblem,
  type ConnectKey,
  type HostOnlyKey,
  type KeySpec,
  type SessionKey,
  type Value,
} from './config-schema.js';

type Layer<K extends string> = Partial<Record<K, Value>>;

export interface HostLayer {
  session: Layer<SessionKey>;
  connect: Layer<ConnectKey>;
  own: Layer<HostOnlyKey>;
}

/** The file with every bad value left out: what precedence works on. */
export interface CheckedConfig {
  defaults: Layer<SessionKey>;
  defaultsConnect: Layer<ConnectKey>;
  hosts: Record<string, HostLayer>;
}

export const EMPTY_CONFIG: CheckedConfig = { defaults: {}, defaultsConnect: {}, hosts: {} };

/** Finds the 1-based line of a dotted key or table in the file's text. */
export type LineOf = (path: string[]) => number | undefined;

/** Checks a parsed TOML document against the schema. Pure: the caller parsed the text. */
export function checkConfig(doc: Record<string, unknown>, lineOf: LineOf): { config: CheckedConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const unknown = (path: string[], known: readonly string[], what: string): void => {
    const key = path[path.length - 1]!;
    const hint = suggest(key, known);
    const elsewhere = placeOf(key, path);
    problems.push({
      kind: 'unknown-key',
      line: lineOf(path),
      key: path.join('.'),
      found: isTable(valueAt(doc, path)) ? 'table' : 'key',
      expected: hint !== undefined ? `did you mean ${hint}?` : elsewhere ?? `expected one of ${what}: ${known.join(', ')}`,
    });
  };
  const layer = <K extends string>(table: Record<string, unknown>, base: string[], keys: Record<K, KeySpec>, subtables: readonly string[]): Layer<K> => {
    const out: Layer<K> = {};
    const known = [...Object.keys(keys), ...subtables];
    for (const [key, value] of Object.entries(table)) {
      if (subtables.includes(key)) continue;
      const path = [...base, key];
      if (!(key in keys)) {
        unknown(path, known, `the keys of [${base.join('.')}]`);
        continue;
      }
      const result = checkValue(keys[key as K].type, value);
      if ('ok' in result) out[key as K] = result.ok;
      else problems.push({ kind: result.kind, line: lineOf(path), key: path.join('.'), expected: result.expected, found: describeValue(value) });
    }
    return out;
  };
  const table = (path: string[]): Record<string, unknown> => {
    const value = valueAt(doc, path);
    if (value === undefined) return {};
    if (isTable(value)) return value;
    problems.push({ kind: 'wrong-type', line: lineOf(path), key: path.join('.'), expected: 'a table', found: describeValue(value) });
    return {};
  };

  for (const key of Object.keys(doc)) if (key !== 'defaults' && key !== 'host') unknown([key], ['defaults', 'host'], 'the tables');
  const config: CheckedConfig = {
    defaults: layer(table(['defaults']), ['defaults'], SESSION_KEYS, ['connect']),
    defaultsConnect: layer(table(['defaults', 'connect']), ['defaults', 'connect'], CONNECT_KEYS, []),
    // no prototype: a host named __proto__ or constructor is just a name
    hosts: Object.create(null) as Record<string, HostLayer>,
  };
  for (const name of Object.keys(table(['host']))) {
    const base = ['host', name];
    const all = { ...SESSION_KEYS, ...HOST_ONLY_KEYS };
    const top = layer(table(base), base, all, ['connect']);
    const session: Layer<SessionKey> = {};
    const own: Layer<HostOnlyKey> = {};
    for (const [key, value] of Object.entries(top) as [string, Value][]) {
      if (key in HOST_ONLY_KEYS) own[key as HostOnlyKey] = value;
      else session[key as SessionKey] = value;
    }
    config.hosts[name] = { session, own, connect: layer(table([...base, 'connect']), [...base, 'connect'], CONNECT_KEYS, []) };
  }

  for (const [where, path] of [['defaults', ['defaults']], ...Object.keys(config.hosts).map((h) => [`host.${h}`, ['host', h]] as const)] as const) {
    const host = where === 'defaults' ? undefined : config.hosts[path[1]!];
    const interval = Number(host?.session['heartbeat-interval'] ?? config.defaults['heartbeat-interval'] ?? SESSION_KEYS['heartbeat-interval'].default);
    const timeout = Number(host?.session['heartbeat-timeout'] ?? config.defaults['heartbeat-timeout'] ?? SESSION_KEYS['heartbeat-timeout'].default);
    const own = where === 'defaults' || host?.session['heartbeat-interval'] !== undefined || host?.session['heartbeat-timeout'] !== undefined;
    if (own && timeout < HEARTBEAT_MIN_RATIO * interval) {
      problems.push({
        kind: 'incoherent',
        line: lineOf([...path, 'heartbeat-timeout']) ?? lineOf([...path, 'heartbeat-interval']),
        key: `${where}.heartbeat-timeout`,
        found: `heartbeat-timeout = ${timeout} is less than ${HEARTBEAT_MIN_RATIO} x heartbeat-interval = ${interval}, so an idle link would count as dead between pings; using the built-in ${SESSION_KEYS['heartbeat-interval'].default} and ${SESSION_KEYS['heartbeat-timeout'].default}`,
        expected: `heartbeat-timeout of at least ${HEARTBEAT_MIN_RATIO * interval}`,
      });
      const target = host?.session ?? config.defaults;
      delete target['heartbeat-interval'];
      delete target['heartbeat-timeout'];
      if (host !== undefined) {
        host.session['heartbeat-interval'] = SESSION_KEYS['heartbeat-interval'].default;
        host.session['heartbeat-timeout'] = SESSION_KEYS['heartbeat-timeout'].default;
      }
    }
  }
  problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { config, problems };
}

/** For a key in the wrong table, where it belongs. */
function placeOf(key: string, path: string[]): string | undefined {
  const connectTable = path[0] === 'host' ? `[host.${path[1]}.connect]` : '[defaults.connect]';
  const sessionTable = path[0] === 'host' ? `[host.${path[1]}]` : '[defaults]';
  if (key in CONNECT_KEYS && path[path.length - 2] !== 'connect') return `${key} belongs in ${connectTable}`;
  if (key in SESSION_KEYS && path[path.length - 2] === 'connect') return `${key} belongs in ${sessionTable}`;
  if (key in HOST_ONLY_KEYS && path[0] !== 'host') return `${key} belongs in [host.<name>]`;
  if (key in HOST_ONLY_KEYS) return `${key} belongs in [host.${path[1]}]`;
  return undefined;
}

function valueAt(doc: Record<string, unknown>, path: string[]): unknown {
  let node: unknown = doc;
  for (const part of path) node = isTable(node) ? node[part] : undefined;
  return node;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
