import type { CommandSpec } from './context.js';

/** Options every command takes, from cli.ts's program. */
const GLOBAL_FLAGS = ['--verbose', '--ctl-socket', '--version', '--help'];
/** Global options that take a value: the word after them is not the command. */
const GLOBAL_WITH_VALUE = ['--ctl-socket'];

/** Where live names come from: the daemon for sessions, the socket dir and config for hosts. */
export interface NameSources {
  hosts(): string[];
  sessions(host: string): Promise<string[]>;
}

/**
 * Completion candidates for the words after `gritty`, the last being the word under
 * the cursor (empty for a new word). Pure apart from the sources; each shell's
 * script only passes the words in and the candidates out.
 */
export async function complete(commands: readonly CommandSpec[], words: string[], sources: NameSources): Promise<string[]> {
  const cur = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  let i = 0;
  while (i < before.length && before[i]!.startsWith('-')) i += GLOBAL_WITH_VALUE.includes(before[i]!) ? 2 : 1;
  if (GLOBAL_WITH_VALUE.includes(before[before.length - 1] ?? '')) return [];
  const visible = commands.filter((c) => c.hidden !== true);
  if (i >= before.length) {
    if (cur.startsWith('-')) return matching(GLOBAL_FLAGS, cur);
    return matching(visible.flatMap((c) => [c.name, ...(c.aliases ?? [])]), cur);
  }
  const command = visible.find((c) => c.name === before[i] || (c.aliases ?? []).includes(before[i]!));
  if (command === undefined) return [];
  const rest = before.slice(i + 1);
  if (cur.startsWith('-')) return matching(['--help', ...(command.options ?? []).filter((o) => o.hidden !== true).flatMap(flagsOf)], cur);
  const last = rest[rest.length - 1];
  const option = (command.options ?? []).find((o) => last !== undefined && flagsOf(o).includes(last));
  if (option !== undefined && /[<[]/.test(option.flags)) return [];
  const positional = rest.filter((w, n) => !w.startsWith('-') && !takesValue(command, rest[n - 1]));
  const arg = command.args?.[positional.length];
  if (arg === undefined) return [];
  switch (arg.name) {
    case 'target':
      return cur.includes(':') ? matching(await sessionsOf(sources, cur.slice(0, cur.indexOf(':'))), cur) : matching(sources.hosts().map((h) => `${h}:`), cur);
    case 'host':
    case 'name':
      return arg.name === 'name' && command.name !== 'disconnect' ? [] : matching(sources.hosts(), cur);
    case 'destination':
      return matching(sources.hosts().filter((h) => h !== 'local'), cur);
    case 'shell':
      return matching(['bash', 'zsh', 'fish'], cur);
    default:
      return [];
  }
}

async function sessionsOf(sources: NameSources, host: string): Promise<string[]> {
  return (await sources.sessions(host)).map((s) => `${host}:${s}`);
}

function flagsOf(option: { flags: string }): string[] {
  return option.flags.split(/[ ,|]+/).filter((f) => f.startsWith('-'));
}

function takesValue(command: CommandSpec, word: string | undefined): boolean {
  if (word === undefined) return false;
  return (command.options ?? []).some((o) => flagsOf(o).includes(word) && /[<[]/.test(o.flags));
}

function matching(candidates: string[], prefix: string): string[] {
  return [...new Set(candidates)].filter((c) => c.startsWith(prefix)).sort();
}
