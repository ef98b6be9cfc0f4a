import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/client/config.js';
import { CONNECT_KEYS, SESSION_KEYS } from '../../src/client/config-schema.js';
import { tomlValue } from '../../src/client/config-template.js';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';

/** The config file as a user meets it: through the real CLI. */
let world: GrittyEnv | undefined;

afterEach(() => {
  world?.cleanup();
  world = undefined;
});

function withConfig(text: string | undefined): { w: GrittyEnv; file: string } {
  world = makeGrittyEnv();
  const file = join(world.root, 'config', 'gritty', 'config.toml');
  if (text !== undefined) {
    mkdirSync(join(world.root, 'config', 'gritty'), { recursive: true });
    writeFileSync(file, text);
  }
  return { w: world, file };
}

/** The file of the issue: a typo, wrong types, out-of-range values, misplaced keys, heartbeat nonsense. */
const FAULTY = `[defaults]
heartbeat-intervall = 5
heartbeat-interval = 30
heartbeat-timeout = 2
no-escape = "yes"
ring-buffer-size = 10
oauth-timeout = 0

[defaults.connect]
ssh-options = ["D=1"]

[host.devbox]
ssh-options = ["x"]
[host.devbox.connect]
ssh-options = ["H=1"]
no-server-start = 1
`;

describe('a faulty file', () => {
  test('never stops gritty: each command that reads it prints the same one warning line', () => {
    const { w, file } = withConfig(FAULTY);
    const first = w.run(['connect', '--dry-run', 'devbox']);
    const second = w.run(['connect', '--dry-run', '-o', 'F=1', 'other']);
    for (const r of [first, second]) {
      expect(r.status).toBe(0);
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    }
    expect(first.stderr).toBe(second.stderr);
    expect(first.stderr).toBe(`gritty: warning: config ${file}: line 2: defaults.heartbeat-intervall: unknown key; did you mean heartbeat-interval? (and 6 more); what is wrong is ignored; gritty info lists every problem\n`);
  });

  test('info lists every problem with its line, key, expected and found', () => {
    const { w } = withConfig(FAULTY);
    const r = w.run(['info']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('config'));
    expect(lines[at]).toMatch(/\(7 problems\)$/);
    expect(lines.slice(at + 1, at + 8).map((l) => l.trim())).toEqual([
      'line 2: defaults.heartbeat-intervall: unknown key; did you mean heartbeat-interval?',
      'line 4: defaults.heartbeat-timeout: heartbeat-timeout = 2 is less than 2 x heartbeat-interval = 30, so an idle link would count as dead between pings; using the built-in 5 and 15; expected heartbeat-timeout of at least 60',
      'line 5: defaults.no-escape: wrong type: expected true or false, found the string "yes"',
      'line 6: defaults.ring-buffer-size: out of range: expected 65536 to 268435456 bytes, found the number 10',
      'line 7: defaults.oauth-timeout: out of range: expected 1 to 3600 seconds, found the number 0',
      'line 13: host.devbox.ssh-options: unknown key; ssh-options belongs in [host.devbox.connect]',
      'line 16: host.devbox.connect.no-server-start: wrong type: expected true or false, found the number 1',
    ]);
    expect(lines[at + 8]).toMatch(/^socket dir/);
  });

  test('--json lists the problems too', () => {
    const { w } = withConfig(FAULTY);
    const report = JSON.parse(w.run(['info', '--json']).stdout) as { config: { status: string; problems: string[] } };
    expect(report.config.status).toBe('problems');
    expect(report.config.problems).toHaveLength(7);
  });

  test('the good values beside the bad still apply, in precedence order: flags, host, defaults', () => {
    const { w } = withConfig(FAULTY);
    const r = w.run(['connect', '--dry-run', '-o', 'F=1', 'devbox']);
    const probe = r.stdout.split('\n')[0]!;
    expect(probe).toMatch(/'-o' 'F=1' '-o' 'H=1' '-o' 'D=1'/);
  });

  test('invalid TOML: one warning naming the line, and built-in settings', () => {
    const { w, file } = withConfig('[defaults]\nno-redraw = = true\n');
    const r = w.run(['connect', '--dry-run', 'devbox']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^gritty: warning: config ${file}: line 2: not valid TOML \\(.*\\), so none of it is used; `));
  });

  test('an unreadable file is a problem, not a crash', () => {
    const { w, file } = withConfig('[defaults]\n');
    chmodSync(file, 0o000);
    const r = w.run(['info', '--json']);
    chmodSync(file, 0o600);
    expect(r.status).toBe(0);
    // root reads anything; anyone else is told the file cannot be read
    const status = (JSON.parse(r.stdout) as { config: { status: string } }).config.status;
    expect(process.getuid?.() === 0 ? status === 'ok' : status === 'problems').toBe(true);
  });
});

describe('gritty config-edit', () => {
  function editor(w: GrittyEnv, name: string, body: string): string {
    const path = join(w.root, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  }

  test('creates the file from a template of every key with its default, which checks clean', () => {
    const { w, file } = withConfig(undefined);
    const seen = join(w.root, 'seen');
    const r = w.run(['config-edit'], { env: { VISUAL: editor(w, 'visual', `cp "$1" ${seen}`), EDITOR: 'false' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: ok\n`);
    const template = readFileSync(seen, 'utf8');
    expect(readFileSync(file, 'utf8')).toBe(template);
    for (const [key, spec] of [...Object.entries(SESSION_KEYS), ...Object.entries(CONNECT_KEYS)]) {
      expect(template).toContain(`# ${key} = ${tomlValue(spec.default)}\n`);
    }
    expect(parseConfig(template).problems).toEqual([]);
    // uncommented, the defaults are valid values too (the per-host example aside)
    const live = template.slice(0, template.indexOf('# Per-host')).replace(/^# ([a-z-]+ = .*)$/gm, '$1').replace(/^([a-z-]+) = ""$/gm, '$1 = "x"');
    expect(parseConfig(live).problems).toEqual([]);
  });

  test('uses $EDITOR when $VISUAL is unset, and reports what the edit broke, with exit 1', () => {
    const { w, file } = withConfig('[defaults]\nno-redraw = true\n');
    const r = w.run(['config-edit'], { env: { VISUAL: '', EDITOR: editor(w, 'editor', 'printf "heartbeat-intervall = 5\\n" >> "$1"') } });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${file}: line 3: defaults.heartbeat-intervall: unknown key; did you mean heartbeat-interval?\n`);
    expect(r.stderr).toMatch(/^gritty: .* has 1 problem \(above\); .*gritty config-edit\n$/);
  });

  test('an editor that fails is reported, and the file is left as it was', () => {
    const { w, file } = withConfig('[defaults]\n');
    const r = w.run(['config-edit'], { env: { VISUAL: editor(w, 'bad', 'exit 4') } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^gritty: the editor .* exited with status 4; .* is as it left it\n$/);
    expect(readFileSync(file, 'utf8')).toBe('[defaults]\n');
  });
});
