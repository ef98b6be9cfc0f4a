import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { shellQuote } from './forward-world.js';
import { GRITTY_BIN } from './gritty-world.js';
import { OuterTerminal } from './outer-terminal.js';
import { signalAll } from './processes.js';
import { waitSettledTunnel } from './recovery.js';
import type { SshHarness } from './sshd-harness.js';
import { nowMs } from './stats.js';

/**
 * Typing into a silent network (issue 7): a session over ssh runs a line reader that
 * appends each line it gets to a log and prints `got<line>`. The sshd serving the
 * tunnel is SIGSTOPped, one marker line is typed ONCE, and the bench times until the
 * session's `got<marker>` reaches the outer terminal. Then it types an end line and,
 * once that is answered (input is ordered, so any duplicate would have come first),
 * counts the marker in the reader's log: delivered exactly once means a count of 1.
 */

export interface SilentTypingSample {
  /** From SIGSTOP of the sshd (and the keystrokes right after) until the line's output appeared, ms. */
  deliveredMs: number;
  /** How many times the session's program received the line. */
  count: number;
  /** From the freeze until the tunnel supervisor logged the client's nudge (the link declared dead), ms; undefined if not logged. */
  nudgedMs: number | undefined;
  /** From the freeze until the replacement tunnel was healthy (`gritty tunnels --json` since), ms. */
  healthyMs: number | undefined;
}

/** The supervisor's log line when a client that found its link dead nudges it (tunnel-supervisor.ts). */
const NUDGED = 'nudged: replacing ssh';

/** Wall-clock ms of the first nudge logged at or after `after` (the log has ms resolution). */
function nudgedAt(logFile: string, after: number): number | undefined {
  if (!existsSync(logFile)) return undefined;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(NUDGED)) continue;
    const at = Date.parse(line.slice(0, line.indexOf(' ')));
    if (at >= Math.floor(after)) return at;
  }
  return undefined;
}

export async function measureSilentTyping(h: SshHarness, samples: number, log: (text: string) => void): Promise<SilentTypingSample[]> {
  const target = `${h.host}:silent-typing`;
  const received = join(h.scratch, 'silent-typing-received');
  const reader = `stty -echo; printf 'READY'; while IFS= read -r line; do printf '%s\\n' "$line" >> ${shellQuote(received)}; printf 'got<%s>\\n' "$line"; done`;
  h.gritty(['new', '-d', '-c', `exec sh -c ${shellQuote(reader)}`, target]);
  const term = new OuterTerminal({ file: process.execPath, args: [GRITTY_BIN, 'attach', target], env: h.env });
  const stopped: number[] = [];
  const results: SilentTypingSample[] = [];
  try {
    await term.waitFor('READY', 30_000);
    for (let i = 0; i < samples; i++) {
      const { sshPid } = await waitSettledTunnel(h);
      const serving = h.sshdServing(sshPid);
      if (serving.length === 0) throw new Error('found no sshd serving the tunnel');
      const marker = `typed-once-${i}`;
      const output = term.waitFor(`got<${marker}>`, 60_000);
      const frozenAt = nowMs();
      const frozenWall = Date.now();
      signalAll(serving, 'SIGSTOP');
      stopped.push(...serving);
      term.write(`${marker}\r`);
      const deliveredMs = (await output) - frozenAt;
      const tunnel = h.tunnel();
      const healthyMs = tunnel?.status === 'healthy' ? Date.parse(tunnel.since) - frozenWall : undefined;
      const nudged = nudgedAt(join(h.laptop.env.XDG_STATE_HOME!, 'gritty', `tunnel-${h.host}.log`), frozenWall);
      signalAll(stopped.splice(0), 'SIGKILL');
      const end = term.waitFor(`got<end-${i}>`, 30_000);
      term.write(`end-${i}\r`);
      await end;
      const lines = existsSync(received) ? readFileSync(received, 'utf8').split('\n') : [];
      const count = lines.filter((line) => line === marker).length;
      results.push({ deliveredMs, count, nudgedMs: nudged === undefined ? undefined : nudged - frozenWall, healthyMs });
      log(
        `  typed line delivered ${deliveredMs.toFixed(0)} ms after the sshd serving the tunnel was frozen, received ${count}× (link declared dead at ${nudged === undefined ? '?' : nudged - frozenWall} ms, new tunnel healthy at ${healthyMs ?? '?'} ms)`,
      );
    }
  } finally {
    signalAll(stopped, 'SIGCONT');
    term.close();
    spawnSync(process.execPath, [GRITTY_BIN, 'kill-session', target], { env: h.env, stdio: 'ignore', timeout: 10_000 });
  }
  return results;
}
