import { spawnSync } from 'node:child_process';
import { GRITTY_BIN } from './gritty-world.js';
import type { Account } from './cpu.js';
import { grittyProcesses, type Peer, type PeerSession } from './peers.js';
import { descendantsOf, listProcesses } from './processes.js';
import { SshHarness } from './sshd-harness.js';

/**
 * Issue 3's peers: gritty over ssh vs plain `ssh -tt` and ssh + tmux, all to the same
 * private sshd (bench/sshd-harness.ts), so they run through the same throughput and
 * echo measurements as the local peers.
 */

/** Starts the private sshd, or returns why it cannot run here. */
export function startSshHarness(): SshHarness | string {
  try {
    return SshHarness.start();
  } catch (err) {
    return (err as Error).message;
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** ssh in the outer terminal and the sshd processes serving its connection. */
function sshProcesses(h: SshHarness, clientPid: number): Account[] {
  return [
    { role: 'ssh', pids: [clientPid] },
    { role: 'sshd', pids: h.sshdServing(clientPid) },
  ];
}

/** Plain `ssh -tt host sh -c script`: the floor for gritty over ssh. */
class PlainSshPeer implements Peer {
  readonly name = 'plain ssh -tt';
  constructor(private readonly h: SshHarness) {}
  missing(): string | undefined {
    return undefined;
  }
  async open(script: string): Promise<PeerSession> {
    return {
      client: { file: this.h.ssh[0]!, args: ['-tt', ...this.h.ssh.slice(1), `sh -c ${shellQuote(script)}`] },
      processes: (clientPid) => sshProcesses(this.h, clientPid),
      close: () => {},
    };
  }
  dispose(): void {}
}

/** `ssh -tt` to a tmux session on the remote (created on first attach, no config, status line off). */
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
    return {
      client: { file: this.h.ssh[0]!, args: ['-tt', ...this.h.ssh.slice(1), remote] },
      processes: (clientPid) => {
        const below = descendantsOf(clientPid).filter((p) => p.exe === 'tmux');
        const server = listProcesses().filter((p) => p.exe === 'tmux' && p.argv.includes(this.socket) && !below.some((b) => b.pid === p.pid));
        return [...sshProcesses(this.h, clientPid), { role: 'tmux client (remote)', pids: below.map((p) => p.pid) }, { role: 'tmux server (remote)', pids: server.map((p) => p.pid) }];
      },
      close: () => {},
    };
  }
  dispose(): void {
    spawnSync(this.h.ssh[0]!, [...this.h.ssh.slice(1), `tmux -S ${this.socket} kill-server; rm -f ${this.socket}`], { stdio: 'ignore', timeout: 10_000 });
  }
}

/** gritty through its ssh tunnel to the harness's host: `new -d` auto-starts the tunnel, `attach` in the outer terminal. */
class GrittyOverSshPeer implements Peer {
  readonly name = 'gritty over ssh';
  private count = 0;
  constructor(private readonly h: SshHarness) {}
  missing(): string | undefined {
    return undefined;
  }
  async open(script: string): Promise<PeerSession> {
    const target = `${this.h.host}:bench${++this.count}`;
    this.h.gritty(['new', '-d', '-c', `exec sh -c ${shellQuote(script)}`, target]);
    return {
      client: { file: process.execPath, args: [GRITTY_BIN, 'attach', target], env: this.h.env },
      processes: (clientPid) => {
        const tunnel = this.h.tunnel();
        if (tunnel === undefined) throw new Error('no tunnel to measure');
        const daemon = this.h.remotePids().find((p) => p.exe === 'node' && p.argv.includes('server') && p.argv.includes('--foreground'));
        if (daemon === undefined) throw new Error('no remote gritty daemon to measure');
        return [
          ...grittyProcesses(clientPid, daemon.pid),
          { role: 'ssh (the tunnel)', pids: [tunnel.sshPid] },
          { role: 'sshd', pids: this.h.sshdServing(tunnel.sshPid) },
          { role: 'gritty tunnel supervisor', pids: [tunnel.pid] },
        ];
      },
      close: () => void spawnSync(process.execPath, [GRITTY_BIN, 'kill-session', target], { env: this.h.env, stdio: 'ignore', timeout: 10_000 }),
    };
  }
  dispose(): void {}
}

export function sshPeers(h: SshHarness): Peer[] {
  return [new GrittyOverSshPeer(h), new PlainSshPeer(h), new SshTmuxPeer(h)];
}
