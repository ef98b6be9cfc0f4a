import { readFileSync } from 'node:fs';
import { main } from './client/cli.js';
import { DEFAULT_RING_BYTES, runServer } from './server/main.js';

/** Composition root of the `gritty` executable: the CLI, with the daemon injected for `gritty server -f`. */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const code = await main(process.argv.slice(2), {
  version: pkg.version,
  runServer: (options) => runServer({ ...options, ringBytes: DEFAULT_RING_BYTES }),
});
process.exit(code);
