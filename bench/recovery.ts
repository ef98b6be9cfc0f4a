import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GRITTY_BIN } from './gritty-world.js';
import { ECHO_SCRIPT } from './echo.js';
import { OuterTerminal } from './outer-terminal.js';
import { signalAll } from './processes.js';
import type { SshHarness } from './sshd-harness.js';
import { median, nowMs, sleep, waitFor } from './stats.js';

/**
 * Time until usable: a session over ssh, attached in an outer terminal, has its link
 * broken in one of the ways a laptop sees; from that moment the bench types a marker
 * every RETYPE_MS (keystrokes into a dead link are lost, as a person's would be) until
 * one comes back through the session's raw `cat`. The first echo is "usable".
 */

/** The marker typed; never part of what gritty paints (status lines, repaints). */
const MARK = '@U';
/** How often the bench retypes while waiting: the resolution of every figure below. */
const RETYPE_MS = 50;
/** The supervisor resets its respawn backoff once ssh has run this long (tunnel-supervisor.ts HEALTHY_RUN_MS, plus a margin). */
const HEALTHY_RUN_MS = 11_000;
/** How long the laptop is frozen in the wake benchmark: past the client's 15 s heartbeat timeout. */
export const SLEEP_MS = 20_000;
const SETUP_SAMPLES = 10;

export interface RecoveryOptions {
  killedSamples: number;
  silentSamples: number;
  wakeSamples: number;
}

export interface RecoveryResult {
  /** `ssh host true`, ms, one per sample. */
  sshSetupMs: number[];
  /** `ssh -N -L` until its local socket exists (connection and auth, no session channel: what the tunnel pays), ms. */
  sshForwardMs: number[];
  /** From kill -9 of the tunnel's ssh until usable, ms. */
  killedMs: number[];
  /** From SIGSTOP of the sshd serving the tunnel until usable, ms. */
  silentMs: number[];
  /** From SIGCONT of the laptop side (frozen SLEEP_MS while its sshd was killed) until usable, ms. */
  wakeMs: number[];
}

/** Median wall time of a bare `ssh host true`: what any reconnect pays at least. */
export function sshSetupTimes(h: SshHarness, samples = SETUP_SAMPLES): number[] {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = nowMs();
    const r = spawnSync(h.ssh[0]!, [...h.ssh.slice(1), 'true'], { stdio: 'ignore', timeout: 20_000 });
    if (r.status !== 0) throw new Error(`ssh ${h.host} true failed (${r.status ?? r.signal})`);
    times.push(nowMs() - start);
  }
  return times;
}

/** `ssh -N -L sock:…` until ssh binds the local socket, which it does once connected and authenticated. */
export async function sshForwardTimes(h: SshHarness, dir: string, samples = SETUP_SAMPLES): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const socket = join(dir, `forward-${process.pid}-${i}.sock`);
    const start = nowMs();
    const child = spawn(h.ssh[0]!, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${socket}:${join(dir, 'nowhere.sock')}`, ...h.ssh.slice(1)], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(socket) || child.exitCode !== null, 20_000, 'ssh -N -L to bind its socket');
      if (!existsSync(socket)) throw new Error(`ssh -N -L ${h.host} exited (${child.exitCode})`);
      times.push(nowMs() - start);
    } finally {
      child.kill('SIGKILL');
      rmSync(socket, { force: true });
    }
  }
  return times;
}

/** Types markers until one echoes; returns the arrival time of the echo (nowMs). */
async function typeUntilEchoed(term: OuterTerminal, timeoutMs: number): Promise<number> {
  const echoed = term.waitFor(MARK, timeoutMs);
  let answered = false;
  echoed.then(
    () => (answered = true),
    () => (answered = true),
  );
  for (let n = 1; !answered; n++) {
    term.write(`${MARK}${n % 10}`);
    await sleep(RETYPE_MS);
  }
  return echoed;
}

/** Waits until the tunnel is healthy and its ssh has run long enough that the supervisor's backoff is back at zero. */
export async function waitSettledTunnel(h: SshHarness): Promise<{ sshPid: number }> {
  let sshPid = 0;
  await waitFor(
    () => {
      const t = h.tunnel();
      if (t === undefined || t.status !== 'healthy' || !(t.sshPid > 0)) return false;
      sshPid = t.sshPid;
      return Date.now() - Date.parse(t.since) >= HEALTHY_RUN_MS;
    },
    60_000,
    'a healthy, settled tunnel',
  );
  return { sshPid };
}

export async function measureRecovery(h: SshHarness, options: RecoveryOptions, log: (text: string) => void): Promise<RecoveryResult> {
  const result: RecoveryResult = { sshSetupMs: sshSetupTimes(h), sshForwardMs: await sshForwardTimes(h, h.scratch), killedMs: [], silentMs: [], wakeMs: [] };
  log(`ssh ${h.host} true: median ${median(result.sshSetupMs).toFixed(0)} ms; ssh -N -L ready: median ${median(result.sshForwardMs).toFixed(0)} ms`);
  const target = `${h.host}:recovery`;
  h.gritty(['new', '-d', '-c', `exec sh -c '${ECHO_SCRIPT}'`, target]);
  const term = new OuterTerminal({ file: process.execPath, args: [GRITTY_BIN, 'attach', target], env: h.env });
  const stopped: number[] = [];
  try {
    await term.waitFor('READY', 30_000);

    for (let i = 0; i < options.killedSamples; i++) {
      const { sshPid } = await waitSettledTunnel(h);
      const brokenAt = nowMs();
      process.kill(sshPid, 'SIGKILL');
      const ms = (await typeUntilEchoed(term, 30_000)) - brokenAt;
      result.killedMs.push(ms);
      log(`  usable ${ms.toFixed(0)} ms after kill -9 of the tunnel's ssh`);
    }

    for (let i = 0; i < options.silentSamples; i++) {
      const { sshPid } = await waitSettledTunnel(h);
      const serving = h.sshdServing(sshPid);
      if (serving.length === 0) throw new Error('found no sshd serving the tunnel');
      const brokenAt = nowMs();
      signalAll(serving, 'SIGSTOP');
      stopped.push(...serving);
      const ms = (await typeUntilEchoed(term, 60_000)) - brokenAt;
      result.silentMs.push(ms);
      log(`  usable ${ms.toFixed(0)} ms after the sshd serving the tunnel was frozen`);
      signalAll(stopped.splice(0), 'SIGKILL');
    }

    for (let i = 0; i < options.wakeSamples; i++) {
      const { sshPid } = await waitSettledTunnel(h);
      const serving = h.sshdServing(sshPid);
      const lid = h.laptopPids();
      signalAll(lid, 'SIGSTOP');
      stopped.push(...lid);
      // while the lid is closed, the far end of its connection goes away
      signalAll(serving, 'SIGKILL');
      await sleep(SLEEP_MS); // the deliberate sleep: the lid is closed
      signalAll(stopped.splice(0), 'SIGCONT');
      const wokeAt = nowMs();
      const ms = (await typeUntilEchoed(term, 60_000)) - wokeAt;
      result.wakeMs.push(ms);
      log(`  usable ${ms.toFixed(0)} ms after waking from ${SLEEP_MS / 1000} s asleep`);
    }
  } finally {
    signalAll(stopped, 'SIGCONT');
    term.close();
    spawnSync(process.execPath, [GRITTY_BIN, 'kill-session', target], { env: h.env, stdio: 'ignore', timeout: 10_000 });
  }
  return result;
}
