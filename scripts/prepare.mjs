#!/usr/bin/env node
// Builds gritty on install. `npm install -g .` links the folder without installing its
// dependencies and runs this first: then install them here (which runs this again,
// now with TypeScript present) so the linked command works from a fresh clone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nestedEnv } from './npm-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (existsSync(tsc)) {
  run(process.execPath, [tsc, '-p', 'tsconfig.json']);
  run(process.execPath, [join(root, 'scripts', 'bundle.mjs')]);
} else if (process.env.GRITTY_PREPARE_NESTED === undefined) {
  // the user's npm settings (registry, proxy, cafile, nodedir...) pass on; the outer install's target does not
  const env = nestedEnv(process.env);
  env.GRITTY_PREPARE_NESTED = '1';
  console.error('gritty: installing dependencies in', root);
  run(npm, ['install', '--no-audit', '--no-fund', '--include=dev'], env);
} else {
  console.error('gritty: TypeScript is missing after npm install; run npm install in', root);
  process.exit(1);
}
