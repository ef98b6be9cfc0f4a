import { readFileSync } from 'node:fs';
import { daemonArgv } from './server/daemon-argv.js';

/**
 * Composition root of the `gritty` executable: the CLI, with the daemon injected for
 * `gritty server -f`. A daemon spawned by server-start.ts is recognised first and
 * started without loading the CLI, which it would carry for its whole life.
 */
const args = process.argv.slice(2);
const daemon = daemonArgv(args);
process.exit(daemon !== undefined ? await runDaemon(daemon) : await runCli());

async function runCli(): Promise<number> {
  // every attach starts a fresh client, whose keystroke path would otherwise run
  // unoptimized for its first ~2000 keystrokes; set before the CLI's modules load. A
  // daemon does it at its first attach (requests/attach.ts), not at start, so that one
  // nobody has typed into stays without the optimizing compiler's ~4 MiB.
  await (await import('./relay/tier-up.js')).optimizeSooner();
  const { main } = await import('./client/cli.js');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return main(args, {
    version: pkg.version,
    // loaded only for `gritty server -f`, so that every other command starts faster
    runServer: async (options) => {
      const server = await import('./server/main.js');
      return server.runServer({ ...options, ringBytes: server.DEFAULT_RING_BYTES });
    },
  });
}

/** Its output goes to the daemon log: a failure to start is a line there and exit status 1, as the CLI would give. */
async function runDaemon(options: NonNullable<ReturnType<typeof daemonArgv>>): Promise<number> {
  try {
    const server = await import('./server/main.js');
    return await server.runServer({ ...options, ringBytes: server.DEFAULT_RING_BYTES });
  } catch (err) {
    process.stderr.write(`gritty: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
