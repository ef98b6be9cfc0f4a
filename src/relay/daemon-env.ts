/**
 * Names the variables gritty added to the daemon's environment for the daemon alone,
 * so its sessions do not inherit them (server/session-env.ts).
 */
export const DAEMON_ONLY_ENV = 'GRITTY_DAEMON_ONLY_ENV';

/**
 * The environment a daemon is started with. glibc's malloc gives a thread that meets
 * contention an arena of its own, and an arena keeps what a burst left at its top
 * resident: V8's helper threads compiling and collecting while a hundred `gritty new`
 * come in left ~1 MiB so in some daemons and not in others (docs/MEMORY.md). With
 * one arena the daemon's threads share the main heap and reuse what each frees. A
 * MALLOC_ARENA_MAX of the user's own is left as it is, and reaches the sessions.
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.MALLOC_ARENA_MAX !== undefined) return env;
  return { ...env, MALLOC_ARENA_MAX: '1', [DAEMON_ONLY_ENV]: 'MALLOC_ARENA_MAX' };
}
