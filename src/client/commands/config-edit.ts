import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GrittyError } from '../../relay/errors.js';
import { readConfig } from '../config.js';
import { formatProblem } from '../config-schema.js';
import { configTemplate } from '../config-template.js';
import type { CommandSpec } from '../context.js';

export const configEdit: CommandSpec = {
  name: 'config-edit',
  summary: 'edit the config file in $VISUAL or $EDITOR (created from a template first)',
  details: `
Creates the file from a template that lists every key with its default (commented
out) when there is none, opens it in $VISUAL, else $EDITOR, else vi, and checks it
when the editor exits: exit status 1 if the file has problems, each named with its line.

Examples:
  gritty config-edit
  EDITOR=nano gritty config-edit`,
  async run(ctx) {
    const file = ctx.config().path;
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, configTemplate(), { mode: 0o600, flag: 'wx' });
      process.stderr.write(`gritty: created ${file} from the template\n`);
    }
    const editor = [process.env.VISUAL, process.env.EDITOR].find((e) => e !== undefined && e.trim() !== '') ?? 'vi';
    // through sh, as other tools do, so that EDITOR="code --wait" works
    const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'gritty-config-edit', file], { stdio: 'inherit' });
    if (result.error !== undefined) throw new GrittyError('spawn-failed', `cannot run the editor ${editor}: ${result.error.message}; set VISUAL or EDITOR`);
    if (result.status !== 0) {
      throw new GrittyError('spawn-failed', `the editor ${editor} exited with ${result.status === null ? `signal ${result.signal}` : `status ${result.status}`}; ${file} is as it left it`);
    }
    const checked = readConfig(file);
    if (checked.problems.length === 0) {
      process.stdout.write(`${file}: ok\n`);
      return 0;
    }
    for (const p of checked.problems) process.stdout.write(`${file}: ${formatProblem(p)}\n`);
    process.stderr.write(`gritty: ${file} has ${checked.problems.length} problem${checked.problems.length === 1 ? '' : 's'} (above); gritty uses the built-in value for each until you fix them with gritty config-edit\n`);
    return 1;
  },
};
