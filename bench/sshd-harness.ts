import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRITTY_BIN, GrittyWorld } from './gritty-world.js';
import { descendantsOf, processesWithEnv, signalAll, type ProcessInfo } from './processes.js';
import { privateSshdConfig, remoteDirs, type RemoteDirs } from './sshd-config.js';

/**
 * A private "remote host" for the over-ssh benchmarks, built the way
 * test/helpers/sshd.ts builds the test suite's, from the same config (sshd-config.ts): a real
 * OpenSSH sshd with generated host and user keys and its own config, run in inetd
 * mode (`sshd -i`) behind ssh's ProxyCommand, so nothing listens on a port and each
 * ssh connection is served by its own sshd, which a benchmark can freeze or kill.
 * The "remote" gritty runs on this machine as this user, with XDG dirs of its own
 * (sshd's SetEnv); the "laptop" is a private GrittyWorld whose gritty reaches the
 * host through an ssh wrapper (GRITTY_SSH) and runs bin/gritty there (GRITTY_REMOTE_BIN).
 */

const SSHD = '/usr/sbin/sshd';
const SSH = '/usr/bin/ssh';
/** Set in the environment of every sshd of one harness, so close() finds them all. */
const SSHD_MARK = 'GRITTY_BENCH_SSHD';
/** sshd's privilege separation dir; the openssh-server package only creates it at boot. */
const PRIVSEP_DIR = '/run/sshd';

export interface TunnelInfo {
  /** The supervisor's pid. */
  pid: number;
  /** The pid of the supervisor's current `ssh -N`. */
  sshPid: number;
  status: string;
  /** ISO time of the last status change. */
  since: string;
}

export class SshHarness {
  /** The gritty host name (and ssh Host) that reaches this sshd. */
  readonly host = 'devbox';
  /** The laptop: a private gritty world pointed at this sshd. */
  readonly laptop = new GrittyWorld();
  /** Environment for the laptop's gritty CLI: the world's, plus GRITTY_SSH and GRITTY_REMOTE_BIN. */
  readonly env: Record<string, string>;
  /** argv that runs ssh to the host with this harness's config: `[...ssh, command]`. */
  readonly ssh: string[];
  /** A private dir for a benchmark's own files; removed by close(). */
  readonly scratch: string;
  /** The remote gritty's home and XDG dirs (sshd's SetEnv). */
  private readonly remote: RemoteDirs;

  private constructor(private readonly dir: string) {
    const wrapper = join(dir, 'ssh');
    this.ssh = [wrapper, this.host];
    this.env = { ...this.laptop.env, GRITTY_SSH: wrapper, GRITTY_REMOTE_BIN: GRITTY_BIN };
    this.remote = remoteDirs(join(dir, 'remote'));
    this.scratch = join(dir, 'scratch');
  }

  /** Starts nothing yet (sshd runs per connection); writes keys and configs. Throws with the reason when sshd is unusable. */
  static start(): SshHarness {
    if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing (apt-get install openssh-server)`);
    mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
    const dir = mkdtempSync(join(tmpdir(), 'gritty-bench-sshd-'));
    const harness = new SshHarness(dir);
    try {
      harness.writeFiles();
    } catch (err) {
      harness.close();
      throw err;
    }
    return harness;
  }

  private writeFiles(): void {
    const { dir } = this;
    for (const key of ['host_key', 'user_key']) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gritty-bench', '-f', join(dir, key)]);
    mkdirSync(this.scratch, { mode: 0o700 });
    const { remote } = this;
    for (const sub of Object.values(remote)) mkdirSync(sub, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')), { mode: 0o600 });
    writeFileSync(join(dir, 'known_hosts'), `${this.host} ${readFileSync(join(dir, 'host_key.pub'), 'utf8')}`);
    const sshdConfig = join(dir, 'sshd_config');
    writeFileSync(sshdConfig, privateSshdConfig(dir, remote));
    run(SSHD, ['-t', '-f', sshdConfig]);
    writeFileSync(
      join(dir, 'ssh_config'),
      [
        `Host ${this.host}`,
        '  User root',
        `  IdentityFile ${join(dir, 'user_key')}`,
        `  ProxyCommand env ${SSHD_MARK}=${dir} ${SSHD} -i -f ${sshdConfig} -E ${join(dir, 'sshd.log')}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  UpdateHostKeys no',
        '  CheckHostIP no',
        '  BatchMode yes',
        '  LogLevel ERROR',
        '',
      ].join('\n'),
    );
    writeFileSync(this.ssh[0]!, `#!/bin/sh\nexec ${SSH} -F '${join(dir, 'ssh_config')}' "$@"\n`, { mode: 0o755 });
    const probe = spawnSync(this.ssh[0]!, [this.host, 'true'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status !== 0) throw new Error(`ssh ${this.host} true failed: ${probe.stderr.trim()}`);
  }

  /** Runs the laptop's gritty CLI to completion; throws on a non-zero exit. */
  gritty(args: string[], timeoutMs = 30_000): string {
    const r = spawnSync(process.execPath, [GRITTY_BIN, ...args], { env: this.env, encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`gritty ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** The laptop's tunnel to the host, from `gritty tunnels --json`. */
  tunnel(): TunnelInfo | undefined {
    const listed = JSON.parse(this.gritty(['tunnels', '--json'])) as (TunnelInfo & { name: string })[];
    return listed.find((t) => t.name === this.host);
  }

  /** The sshd processes serving the connection of a local ssh (its ProxyCommand and below). */
  sshdServing(sshPid: number): number[] {
    return descendantsOf(sshPid)
      .filter((p) => p.exe === 'sshd')
      .map((p) => p.pid);
  }

  /** The laptop's gritty and ssh processes (clients, supervisor, tunnel ssh): what a closed lid freezes. */
  laptopPids(): number[] {
    return processesWithEnv('XDG_RUNTIME_DIR', this.laptop.env.XDG_RUNTIME_DIR!)
      .filter((p) => p.exe === 'node' || p.exe === 'ssh')
      .map((p) => p.pid);
  }

  /** The remote host's gritty processes (its daemon and what runs in its sessions). */
  remotePids(): ProcessInfo[] {
    return processesWithEnv('XDG_RUNTIME_DIR', this.remote.XDG_RUNTIME_DIR);
  }

  /** Stops tunnels, sshds, the remote daemon and its sessions (stopped ones too); removes temp dirs. */
  close(): void {
    spawnSync(process.execPath, [GRITTY_BIN, 'disconnect', this.host], { env: this.env, stdio: 'ignore', timeout: 10_000 });
    for (let round = 0; round < 3; round++) {
      const pids = [
        ...processesWithEnv(SSHD_MARK, this.dir),
        ...processesWithEnv('XDG_RUNTIME_DIR', this.remote.XDG_RUNTIME_DIR),
        ...processesWithEnv('XDG_RUNTIME_DIR', this.laptop.env.XDG_RUNTIME_DIR!),
      ].map((p) => p.pid);
      if (pids.length === 0) break;
      signalAll(pids, 'SIGKILL');
    }
    this.laptop.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr.trim()}`);
}
