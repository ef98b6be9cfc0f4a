import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GRITTY_BIN, makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';

/**
 * Completion scripts sourced in the real bash, zsh and fish, asking for completions the
 * way each shell does, against a real daemon with sessions, a configured host, and a
 * "tunnel" whose far end accepts and never answers (a host that is down).
 */
let world: GrittyEnv;
let silent: Server;
const held: Socket[] = [];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  world = makeGrittyEnv();
  for (const name of ['work', 'build']) expect(world.run(['new', '-d', `local:${name}`]).status).toBe(0);
  mkdirSync(join(world.root, 'config', 'gritty'), { recursive: true });
  writeFileSync(join(world.root, 'config', 'gritty', 'config.toml'), '[host.devbox]\ndestination = "me@devbox"\n');
  writeFileSync(join(world.socketDir, 'connect-dead.json'), JSON.stringify({ name: 'dead', destination: 'dead', pid: 999_999, status: 'healthy', since: Date.now(), remoteSocket: '/x', protocol: 1, sshOptions: [] }));
  silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(join(world.socketDir, 'connect-dead.sock'), resolve));
  const bin = join(world.root, 'bin');
  mkdirSync(bin);
  symlinkSync(GRITTY_BIN, join(bin, 'gritty'));
  env = { ...world.env, PATH: `${bin}:${process.env.PATH}` };
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = spawnSync(process.execPath, [GRITTY_BIN, 'completions', shell], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(join(world.root, `completion.${shell}`), r.stdout);
  }
});

afterAll(() => {
  for (const s of held) s.destroy();
  silent?.close();
  world?.cleanup();
});

function shell(program: string, script: string): string[] {
  const r = spawnSync(program, ['-c', script], { env, cwd: world.root, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, `${program}: ${r.stderr}`).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** bash: source the script and call its function as bash's completion would, with COMP_LINE and COMP_POINT. */
function bash(line: string): string[] {
  return shell('bash', `source completion.bash; COMP_LINE='${line}'; COMP_POINT=\${#COMP_LINE}; _gritty; printf '%s\\n' "\${COMPREPLY[@]}"`);
}

/** zsh: source the script as ~/.zshrc would after compinit (compdef stubbed: compinit is slow on a loaded machine), and catch what it hands to compadd. */
function zsh(line: string): string[] {
  const words = line.split(' ');
  const quoted = words.map((w) => `'${w}'`).join(' ');
  return shell('zsh', `compdef() { :; }; source ./completion.zsh; compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -rl -- "$@"; }; words=(${quoted}); CURRENT=${words.length}; _gritty`);
}

/** fish: its own completion engine, complete -C. */
function fish(line: string): string[] {
  return shell('fish', `source completion.fish; complete -C '${line}'`).map((l) => l.split('\t')[0]!);
}

const shells = { bash, zsh, fish };

describe.each(Object.entries(shells))('%s', (_name, ask) => {
  test('completes commands and aliases', () => {
    expect(ask('gritty a')).toEqual(['a', 'attach']);
    expect(ask('gritty kill-s')).toEqual(['kill-server', 'kill-session']);
  });

  test("completes a command's flags", () => {
    expect(ask('gritty ls --')).toEqual(['--all', '--help', '--json']);
  });

  test('completes hosts: local, tunnels, and [host.*] from the config', () => {
    expect(ask('gritty attach ')).toEqual(['dead:', 'devbox:', 'local:']);
  });

  test("after host: completes that host's sessions, asked of its server", () => {
    const got = ask('gritty attach local:');
    // bash offers what follows the colon, since it splits words there
    expect(got).toEqual(ask === bash ? ['build', 'work'] : ['local:build', 'local:work']);
    expect(ask('gritty tail local:w')).toEqual(ask === bash ? ['work'] : ['local:work']);
  });

  test('a host that is down completes nothing, and the shell gets its prompt back', () => {
    expect(ask('gritty attach dead:')).toEqual([]);
  });
});

test('completion starts nothing: no server for a world that has none', () => {
  const other = makeGrittyEnv();
  try {
    const r = other.run(['__complete', '--', 'attach', 'local:']);
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(other.run(['ls', 'local']).status).toBe(1);
  } finally {
    other.cleanup();
  }
});
