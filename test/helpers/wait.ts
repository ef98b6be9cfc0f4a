/** How often a condition is re-checked: often enough to be quick, rare enough not to load a 2-core machine. */
export const POLL_INTERVAL_MS = 50;
/** Default patience: generous for a loaded machine, still far below the test timeout. */
export const DEFAULT_WAIT_MS = 15_000;

export interface WaitOptions {
  timeoutMs?: number;
  /** Says what was awaited, for the failure message. */
  what?: string;
  /** Called at the timeout to add the last observed state to the failure message. */
  describe?: () => string | Promise<string>;
}

/**
 * Polls `check` until it returns something other than undefined/false and returns that.
 * Throws with `what` and the last observed state when the time runs out.
 */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  const state = options.describe !== undefined ? `\n--- last state ---\n${await options.describe()}` : '';
  const cause = lastError instanceof Error ? `\n(last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}${cause}${state}`);
}

/** Resolves with the exit code (or signal name) of a child process once it ends. */
export function exitOf(child: import('node:child_process').ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}
