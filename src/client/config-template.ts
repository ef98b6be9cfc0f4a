import { CONNECT_KEYS, HOST_ONLY_KEYS, SESSION_KEYS, type KeySpec } from './config-schema.js';

/** The file gritty config-edit starts from: every key with its built-in default, commented out. */
export function configTemplate(): string {
  const out = [
    "# gritty's config. Every key is listed with its built-in default, commented out:",
    '# uncomment a line to change it. gritty info checks the file and lists any problem.',
    '# Precedence: command-line flag > [host.<name>] > [defaults] > built-in.',
    '# ssh-options accumulate: command line first, then host, then defaults.',
    '',
    '[defaults]',
    ...keys(SESSION_KEYS),
    '',
    '[defaults.connect]',
    ...keys(CONNECT_KEYS),
    '',
    '# Per-host settings, keyed by connection name (the host name, or gritty connect -n NAME).',
    '# A host table takes the keys of [defaults] and its own connect table those of',
    '# [defaults.connect]. For example:',
    '#',
    '# [host.devbox]',
    `# destination = "me@devbox.example.com"   # ${HOST_ONLY_KEYS.destination.doc}`,
    '# forward-agent = false',
    '#',
    '# [host.devbox.connect]',
    '# ssh-options = ["IdentityFile=~/.ssh/devbox_key"]',
    '',
  ];
  return out.join('\n');
}

function keys(table: Record<string, KeySpec>): string[] {
  return Object.entries(table).flatMap(([key, spec]) => [`# ${spec.doc}`, `# ${key} = ${tomlValue(spec.default)}`]);
}

/** A default as TOML; a key with no built-in value shows an example of its type. */
export function tomlValue(value: KeySpec['default']): string {
  if (value === undefined) return '""';
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
