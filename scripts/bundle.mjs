#!/usr/bin/env node
// Bundles the compiled CLI (dist/src) into dist/app: one file to load instead of
// dozens of modules, which halves gritty's own share of a command's start-up time
// (gritty ls must answer in well under 100 ms). The daemon stays a separate chunk,
// loaded only by `gritty server`. node-pty and xterm are loaded from node_modules as
// they are (native code; xterm only once a session's screen is first parsed).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  absWorkingDir: root,
  entryPoints: ['dist/src/main.js'],
  entryNames: '[name]',
  outdir: 'dist/app',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // open finds its own xdg-open script beside its module
  external: ['node-pty', '@xterm/headless', '@xterm/addon-serialize', '@iarna/toml', 'open'],
  // commander and msgpackr are CommonJS inside; give them the require they expect
  banner: { js: "import { createRequire as __gritty_require } from 'node:module'; const require = __gritty_require(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
