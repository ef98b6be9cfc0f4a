import { spawnSync } from 'node:child_process';
import { GRITTY_BIN } from './gritty-world.js';
import type { Peer, PeerSession } from './peers.js';

/**
 * Issue 3's benchmarks (gritty over ssh vs plain `ssh -tt` and ssh+tmux) plug in here.
 * The sshd is not started by the bench: the test harness (test/helpers/sshd.ts) owns
 * that. To wire it up, make loadSshHarness() return a harness built by it; the peers
 * below then run through the same throughput and echo measurements as the local ones,
 * and run.ts adds an "Over ssh" section to docs/BENCHMARKS.md.
 */
export interface SshHarness {
  /** The gritty host name that reaches the harness's sshd, e.g. 'benchhost'. */
  host: string;
  /** argv that runs ssh to that host with the harness's config, e.g. ['ssh', '-F', cfg, 'benchhost']. */
  ssh: string[];
  /** Environment for the gritty CLI so that `gritty new <host>:x` tunnels through the harness's ssh. */
  env: Record<string, string>;
  /** Stops sshd, tunnels and the remote daemon; removes temp dirs. */
  close(): void;
}

/** Returns undefined until the sshd harness exists; then build and return it here. */
export async function loadSshHarness(): Promise<SshHarness | undefined> {
  return undefined;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Plain `ssh -tt host sh -c script`: the floor for gritty over ssh. */
class PlainSshPeer implements Peer {
  readonly name = 'plain ssh -tt';
  constructor(private readonly h: SshHarness) {}
  missing(): string | undefined {
    return undefined;
  }
  async open(script: string): Promise<PeerSession> {
    return { client: { file: this.h.ssh[0]!, args: [...this.h.ssh.slice(1), '-tt', `sh -c ${shellQuote(script)}`] }, close: () => {} };
  }
  dispose(): void {}
}

/** ssh -tt to a tmux session on the remote (created on first attach, status line off). */
class SshTmuxPeer implements Peer {
  readonly name = 'ssh + tmux';
  private count = 0;
  private readonly socket = `/tmp/gritty-bench-ssh-tmux-${process.pid}.sock`;
  constructor(private readonly h: SshHarness) {}
  missing(): string | undefined {
    return undefined;
  }
  async open(script: string): Promise<PeerSession> {
    const name = `bench${++this.count}`;
    const remote = `tmux -f /dev/null -S ${this.socket} new-session -A -s ${name} sh -c ${shellQuote(script)} \\; set -g status off`;
    return { client: { file: this.h.ssh[0]!, args: [...this.h.ssh.slice(1), '-tt', remote] }, close: () => {} };
  }
  dispose(): void {
    spawnSync(this.h.ssh[0]!, [...this.h.ssh.slice(1), `tmux -S ${this.socket} kill-server`], { stdio: 'ignore', timeout: 10_000 });
  }
}

/** gritty through its ssh tunnel to the harness's host. */
class GrittyOverSshPeer implements Peer {
  readonly name = 'gritty over ssh';
  private count = 0;
  constructor(private readonly h: SshHarness) {}
  missing(): string | undefined {
    return undefined;
  }
  async open(script: string): Promise<PeerSession> {
    const target = `${this.h.host}:bench${++this.count}`;
    const env = { ...process.env, ...this.h.env };
    const r = spawnSync(process.execPath, [GRITTY_BIN, 'new', '-d', '-c', `exec sh -c ${shellQuote(script)}`, target], { env, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`gritty new ${target} failed: ${r.stderr}`);
    return {
      client: { file: process.execPath, args: [GRITTY_BIN, 'attach', target], env: this.h.env },
      close: () => void spawnSync(process.execPath, [GRITTY_BIN, 'kill-session', target], { env, timeout: 10_000 }),
    };
  }
  dispose(): void {}
}

export function sshPeers(h: SshHarness): Peer[] {
  return [new GrittyOverSshPeer(h), new PlainSshPeer(h), new SshTmuxPeer(h)];
}

/*
 * Still to build once the harness exists (issue 3, item 5), each against the bare ssh
 * connection setup time (`ssh host true`, median):
 * - usable after a killed tunnel: SIGKILL the tunnel's ssh while attached, time until a
 *   keystroke echoes again (target: 1.5 s);
 * - usable after a silent network: SIGSTOP the sshd serving the tunnel, time until echo
 *   works again (heartbeat timeout plus a few seconds);
 * - usable after wake: SIGSTOP client, supervisor and ssh for 30 s while the old
 *   connection dies, SIGCONT, time until echo works (target: 3 s).
 */
