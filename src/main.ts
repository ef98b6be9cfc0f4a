import { readFileSync } from 'node:fs';
import { main } from './client/cli.js';

/** Composition root of the `gritty` executable: the CLI, with the daemon injected for `gritty server -f`. */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const code = await main(process.argv.slice(2), {
  version: pkg.version,
  // loaded only for `gritty server -f`, so that every other command starts faster
  runServer: async (options) => {
    const server = await import('./server/main.js');
    return server.runServer({ ...options, ringBytes: server.DEFAULT_RING_BYTES });
  },
});
process.exit(code);
