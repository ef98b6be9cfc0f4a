import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../relay/log.js';
import { socketAlive } from '../relay/secure-socket.js';
import { tunnelArgs } from './ssh-command.js';
import { processStartTime } from '../relay/process-identity.js';
import { removeTunnelFiles, tunnelSocketPath, writeTunnelState, type TunnelState, type TunnelStatus } from './tunnel-state.js';

/** Respawn delays after ssh exits: at once after a long healthy run, then slower while it keeps failing. */
const RESPAWN_BACKOFF_MS = [0, 500, 1_000, 2_000, 5_000, 10_000];
/** An ssh that stayed up this long was healthy: the next failure starts the backoff over. */
const HEALTHY_RUN_MS = 10_000;
/** How often the local socket is probed until the new ssh forwards it. */
const READY_POLL_MS = 50;
/**
 * A nudge (SIGUSR1) replaces only an ssh that has been forwarding for this long: one
 * still connecting (a slow host, a bastion) is left alone, and a burst of nudges from
 * keystrokes respawns once.
 */
const NUDGE_MIN_AGE_MS = 1_000;
const STDERR_TAIL_CHARS = 2_000;

export interface SupervisorOptions {
  socketDir: string;
  name: string;
  /** The ssh program. */
  ssh: string;
  destination: string;
  remoteSocket: string;
  protocol: number;
  userOptions: string[];
  log: Logger;
}

/**
 * Keeps `ssh -N -L <local socket>:<remote socket>` running for one connection:
 * respawns it with backoff when it exits, at once when a client reports a dead link
 * (SIGUSR1), and records its health in the connection's state file.
 */
export class TunnelSupervisor {
  private ssh: ChildProcess | undefined;
  private sshStartedAt = 0;
  /** When the running ssh's forward first answered; undefined while it is still connecting. */
  private sshReadyAt: number | undefined;
  private failures = 0;
  /** Set when the running ssh was killed by a nudge, so its replacement starts at once. */
  private nudged = false;
  private wake: (() => void) | undefined;
  private stopping = false;
  private state: TunnelState;

  constructor(private readonly options: SupervisorOptions) {
    this.state = {
      name: options.name,
      destination: options.destination,
      pid: process.pid,
      startTime: processStartTime(process.pid),
      sshPid: undefined,
      sshStartTime: undefined,
      status: 'starting',
      since: Date.now(),
      remoteSocket: options.remoteSocket,
      protocol: options.protocol,
      sshOptions: options.userOptions,
    };
  }

  /** Runs until SIGTERM or SIGINT (gritty disconnect); then removes the socket and state file. */
  async run(): Promise<number> {
    const stop = (): void => {
      this.stopping = true;
      if (this.ssh !== undefined) killGroup(this.ssh, 'SIGTERM');
      this.wake?.();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => this.options.log.info('ignoring SIGHUP'));
    process.on('SIGUSR1', () => this.nudge());
    this.update('starting');
    while (!this.stopping) {
      const exit = await this.runSsh();
      if (this.stopping) break;
      const ranFor = Date.now() - this.sshStartedAt;
      if (ranFor >= HEALTHY_RUN_MS) this.failures = 0;
      const delay = exit.nudged ? 0 : RESPAWN_BACKOFF_MS[Math.min(this.failures, RESPAWN_BACKOFF_MS.length - 1)]!;
      this.failures++;
      this.update('reconnecting', exit.message);
      this.options.log.info(`ssh exited (${exit.message}); respawning in ${delay} ms`);
      await this.sleep(delay);
    }
    removeTunnelFiles(this.options.socketDir, this.options.name);
    this.options.log.info('disconnected');
    return 0;
  }

  /** A client saw its link die: replace the ssh now instead of waiting for its keepalives to give up. */
  private nudge(): void {
    if (this.ssh !== undefined && this.sshReadyAt !== undefined && Date.now() - this.sshReadyAt >= NUDGE_MIN_AGE_MS) {
      this.options.log.info('nudged: replacing ssh');
      this.nudged = true;
      killGroup(this.ssh, 'SIGKILL');
    }
    this.wake?.();
  }

  private runSsh(): Promise<{ message: string; nudged: boolean }> {
    const local = tunnelSocketPath(this.options.socketDir, this.options.name);
    const args = tunnelArgs({ destination: this.options.destination, localSocket: local, remoteSocket: this.options.remoteSocket, userOptions: this.options.userOptions });
    this.nudged = false;
    this.sshStartedAt = Date.now();
    this.sshReadyAt = undefined;
    // its own process group, so that a kill also ends its ProxyCommand (a hung nc or ssh -W)
    const child = spawn(this.options.ssh, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.ssh = child;
    this.state.sshPid = child.pid;
    this.state.sshStartTime = child.pid === undefined ? undefined : processStartTime(child.pid);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    void this.watchReady(child, local);
    return new Promise((resolve) => {
      child.once('error', (err) => (stderr += err.message));
      // 'exit', not 'close': a ProxyCommand that outlives ssh keeps the stderr pipe open
      child.once('exit', (code, signal) => {
        this.ssh = undefined;
        const said = stderr.trim().split('\n').pop() ?? '';
        const how = signal !== null ? `killed by ${signal}` : `status ${code}`;
        resolve({ message: said !== '' ? `${how}: ${said}` : how, nudged: this.nudged });
      });
    });
  }

  private async watchReady(child: ChildProcess, local: string): Promise<void> {
    while (this.ssh === child && !this.stopping) {
      if (await socketAlive(local, 1_000)) {
        if (this.ssh === child) {
          this.sshReadyAt = Date.now();
          this.update('healthy');
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  }

  private update(status: TunnelStatus, message?: string): void {
    this.state = { ...this.state, status, since: Date.now(), message };
    writeTunnelState(this.options.socketDir, this.state);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
