import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { makeGrittyEnv, type GrittyEnv } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The daemon `gritty new` starts runs with one malloc arena (relay/daemon-env.ts); the
 * shells in its sessions get the user's environment, not that setting.
 */
let world: GrittyEnv | undefined;
afterEach(() => {
  world?.cleanup();
  world = undefined;
});

/** Starts the daemon with a session that writes its environment to a file; returns the daemon's and the session's. */
async function environments(userArenaMax: string | undefined): Promise<{ daemon: string[]; session: string[] }> {
  world = makeGrittyEnv();
  delete world.env.MALLOC_ARENA_MAX;
  if (userArenaMax !== undefined) world.env.MALLOC_ARENA_MAX = userArenaMax;
  const out = join(world.root, 'session-env');
  const made = world.run(['new', '-d', '-c', `env > ${out}.tmp && mv ${out}.tmp ${out} && exec cat`, 'local:env']);
  expect(made.status, made.stderr).toBe(0);
  const info = JSON.parse(world.run(['info', '--json']).stdout) as { server: { pid: number } };
  const daemon = readFileSync(`/proc/${info.server.pid}/environ`, 'utf8').split('\0');
  const session = await waitFor(() => (existsSync(out) ? readFileSync(out, 'utf8').split('\n') : undefined), { timeoutMs: 20_000, what: "the session's environment" });
  return { daemon, session };
}

test('the daemon runs with one malloc arena, and its sessions do not inherit the setting', async () => {
  const { daemon, session } = await environments(undefined);
  expect(daemon).toContain('MALLOC_ARENA_MAX=1');
  expect(session.some((line) => line.startsWith('GRITTY_SESSION='))).toBe(true);
  expect(session.filter((line) => line.startsWith('MALLOC_ARENA_MAX=') || line.startsWith('GRITTY_DAEMON_ONLY_ENV='))).toEqual([]);
});

test("a MALLOC_ARENA_MAX of the user's own reaches the daemon and the sessions as it is", async () => {
  const { daemon, session } = await environments('3');
  expect(daemon).toContain('MALLOC_ARENA_MAX=3');
  expect(session).toContain('MALLOC_ARENA_MAX=3');
});
