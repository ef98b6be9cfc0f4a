import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRITTY_BIN, type GrittyEnv } from './daemon.js';
import { privateSshdConfig, remoteDirs, type RemoteDirs } from '../../bench/sshd-config.js';
import { descendantsOf, processesWithEnv, signalAll, type ProcessInfo } from './processes.js';

/**
 * A private "remote host" for end-to-end tests: a real OpenSSH sshd with generated
 * host and user keys and its own config (no system config is read or touched), run in
 * inetd mode (`sshd -i`) behind ssh's ProxyCommand, so nothing listens on a port and
 * each ssh connection is served by its own sshd process tree, which a test can freeze
 * (a silent network) or kill (a dead one).
 *
 * When the kernel lets us, the host is also a network namespace of its own (only
 * loopback), so the remote side has its own network like a real machine would. Its
 * gritty daemon runs on this same machine and user, so the remote side gets its own
 * XDG dirs through sshd's SetEnv; otherwise local and "remote" daemons would share
 * one socket.
 */

const SSHD = '/usr/sbin/sshd';
const SSH = '/usr/bin/ssh';
/** Set in the environment of every sshd of one harness, so cleanup finds them all. */
const SSHD_MARK = 'GRITTY_TEST_SSHD';
/** sshd's privilege separation dir; the openssh-server package only creates it at boot. */
const PRIVSEP_DIR = '/run/sshd';
/** Without the privsep dir sshd refuses to start: this gives it one in a private /run of its own mount namespace. */
const PRIVATE_PRIVSEP = `mount -t tmpfs -o mode=755 gritty-privsep /run && mkdir ${PRIVSEP_DIR}`;
/** sshd drops a client silent for this long (ClientAliveInterval × ClientAliveCountMax). */
const CLIENT_ALIVE_INTERVAL_S = 5;
const CLIENT_ALIVE_COUNT_MAX = 3;

export interface SshdOptions {
  /** Host names that reach this sshd with an authorized key (default: devbox). */
  hosts?: string[];
  /** Host names that reach this sshd with a key it does not accept: the auth failure case. */
  unauthorizedHosts?: string[];
  /** Host names (authorized) whose every connection takes SLOW_CONNECT_S longer to set up, like a far-away host. */
  slowHosts?: string[];
  /**
   * How ssh reaches sshd: 'pipe' (default) runs `sshd -i` on the ProxyCommand's pipes;
   * 'tcp' runs a listening sshd in the host's network namespace and connects to it over
   * that namespace's loopback, so the connection can be silenced for real (`silence()`).
   */
  transport?: 'pipe' | 'tcp';
}

/** The port a 'tcp' sshd listens on, on its own namespace's loopback. */
const TCP_PORT = 2222;

/** The extra connection setup time of a slow host: longer than a LAN ssh handshake, like a WAN one. */
export const SLOW_CONNECT_S = 2;

let netnsUsable: boolean | undefined;

function sh(command: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
}

/** Creates a network namespace with loopback up, or returns undefined where that is not allowed. */
function makeNetns(): string | undefined {
  if (netnsUsable === false) return undefined;
  const name = `gritty-${process.pid}-${randomBytes(3).toString('hex')}`;
  const added = sh('ip', ['netns', 'add', name]);
  const up = added.status === 0 ? sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']) : added;
  netnsUsable = added.status === 0 && up.status === 0;
  if (!netnsUsable) {
    if (added.status === 0) sh('ip', ['netns', 'delete', name]);
    return undefined;
  }
  return name;
}

function keygen(path: string): void {
  const r = sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'gritty-test', '-f', path]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

export class Sshd {
  /** The ssh_config every test ssh uses (`ssh -F`). */
  readonly sshConfig: string;
  /** A script that runs ssh with that config: what GRITTY_SSH points at. */
  readonly sshWrapper: string;
  readonly sshdConfig: string;
  /** sshd's log (-E), all connections appended. */
  readonly sshdLog: string;
  /** The environment gritty sees on the remote side: its own runtime, state and config dirs. */
  readonly remoteEnv: NodeJS.ProcessEnv;
  private readonly remote: RemoteDirs;

  private constructor(
    readonly dir: string,
    readonly netns: string | undefined,
    readonly transport: 'pipe' | 'tcp',
  ) {
    this.sshConfig = join(dir, 'ssh_config');
    this.sshWrapper = join(dir, 'ssh');
    this.sshdConfig = join(dir, 'sshd_config');
    this.sshdLog = join(dir, 'sshd.log');
    this.remote = remoteDirs(join(dir, 'remote'));
    this.remoteEnv = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      // a home of its own: the real one's shell rc (here, pyenv's rehash with its lock
      // file, left stale when a test kills a session) would run in every remote session
      ...this.remote,
      SHELL: '/bin/bash',
    };
  }

  static start(options: SshdOptions = {}): Sshd {
    if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server to run the ssh tests`);
    const hosts = options.hosts ?? ['devbox'];
    const strangers = options.unauthorizedHosts ?? [];
    const slow = options.slowHosts ?? [];
    const dir = mkdtempSync(join(tmpdir(), 'gritty-sshd-'));
    const transport = options.transport ?? 'pipe';
    const netns = makeNetns();
    if (transport === 'tcp' && netns === undefined) throw new Error('a tcp sshd needs a network namespace of its own (ip netns add failed: are we root?)');
    const self = new Sshd(dir, netns, transport);
    try {
      self.writeFiles(hosts, strangers, slow);
      if (transport === 'tcp') self.listen();
    } catch (err) {
      self.cleanup();
      throw err;
    }
    return self;
  }

  private writeFiles(hosts: string[], strangers: string[], slow: string[]): void {
    const { dir } = this;
    for (const key of ['host_key', 'user_key', 'stranger_key']) keygen(join(dir, key));
    for (const sub of Object.values(this.remote)) mkdirSync(sub, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')), { mode: 0o600 });
    writeFileSync(join(dir, 'known_hosts'), `${[...hosts, ...strangers, ...slow].join(',')} ${readFileSync(join(dir, 'host_key.pub'), 'utf8')}`);
    writeFileSync(
      this.sshdConfig,
      privateSshdConfig(dir, this.remote, [
        'LogLevel VERBOSE',
        'AllowTcpForwarding yes',
        `ClientAliveInterval ${CLIENT_ALIVE_INTERVAL_S}`,
        `ClientAliveCountMax ${CLIENT_ALIVE_COUNT_MAX}`,
      ]),
    );
    const check = existsSync(PRIVSEP_DIR)
      ? sh(SSHD, ['-t', '-f', this.sshdConfig])
      : sh('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${PRIVATE_PRIVSEP} && exec ${SSHD} -t -f ${this.sshdConfig}`]);
    if (check.status !== 0) throw new Error(`sshd -t rejected the test config: ${check.stderr}`);

    const blocks = [
      ...hosts.map((h) => `Host ${h}\n  IdentityFile ${join(dir, 'user_key')}\n`),
      ...strangers.map((h) => `Host ${h}\n  IdentityFile ${join(dir, 'stranger_key')}\n`),
      ...slow.map((h) => `Host ${h}\n  IdentityFile ${join(dir, 'user_key')}\n  ProxyCommand ${join(dir, 'slow-proxy')}\n`),
      [
        'Host *',
        '  User root',
        `  ProxyCommand ${this.proxyCommand()}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  UpdateHostKeys no',
        '  CheckHostIP no',
        '  BatchMode yes',
        '  LogLevel ERROR',
        '  ConnectTimeout 10',
        '',
      ].join('\n'),
    ];
    writeFileSync(this.sshConfig, blocks.join('\n'));
    // ssh runs `exec <ProxyCommand>`, so a delay before the proxy needs a script of its own
    writeFileSync(join(dir, 'slow-proxy'), `#!/bin/sh\nsleep ${SLOW_CONNECT_S}\nexec ${this.proxyCommand()}\n`, { mode: 0o755 });
    writeFileSync(this.sshWrapper, `#!/bin/sh\nexec ${SSH} -F '${this.sshConfig}' "$@"\n`, { mode: 0o755 });
  }

  /** A listening sshd on the namespace's loopback; returns once it listens. */
  private listen(): void {
    const privsep = existsSync(PRIVSEP_DIR) ? '' : `${PRIVATE_PRIVSEP} && `;
    const sshd = `${privsep}exec ${SSHD} -D -f ${this.sshdConfig} -E ${this.sshdLog} -o ListenAddress=127.0.0.1:${TCP_PORT}`;
    const child = spawn('ip', ['netns', 'exec', this.netns!, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', sshd], {
      env: { ...process.env, [SSHD_MARK]: this.dir },
      stdio: 'ignore',
      detached: true,
    });
    child.unref();
    const deadline = Date.now() + 10_000;
    while (!this.logTail(50).includes('Server listening on 127.0.0.1')) {
      if (Date.now() > deadline) throw new Error(`the tcp sshd did not start listening: ${this.logTail()}`);
      spawnSync('sleep', ['0.05']);
    }
  }

  /** Drops every TCP packet in the host's namespace (both directions of every ssh connection) until `unsilence()`. */
  silence(): void {
    this.firewall('-A');
  }

  unsilence(): void {
    this.firewall('-D');
  }

  private firewall(op: '-A' | '-D'): void {
    if (this.transport !== 'tcp') throw new Error('only a tcp sshd can be silenced by the network');
    const r = sh('ip', ['netns', 'exec', this.netns!, 'iptables', op, 'INPUT', '-p', 'tcp', '-j', 'DROP']);
    if (r.status !== 0) throw new Error(`iptables ${op} failed: ${r.stderr}`);
  }

  /** How ssh reaches sshd: `sshd -i` on its pipes, or a TCP connection inside the host's namespace. */
  private proxyCommand(): string {
    if (this.transport === 'tcp') return `ip netns exec ${this.netns} ${process.execPath} ${this.connector()} 127.0.0.1 ${TCP_PORT}`;
    const privsep = existsSync(PRIVSEP_DIR) ? '' : `${PRIVATE_PRIVSEP} && `;
    const sshd = `${privsep}exec ${SSHD} -i -f ${this.sshdConfig} -E ${this.sshdLog}`;
    const mark = `env ${SSHD_MARK}=${this.dir}`;
    if (this.netns !== undefined) return `${mark} ip netns exec ${this.netns} sh -c '${sshd}'`;
    return privsep === '' ? `${mark} sh -c '${sshd}'` : `${mark} unshare -m --propagation private sh -c '${sshd}'`;
  }

  /** A netcat of a few lines: stdin/stdout to a TCP connection, ending with it. */
  private connector(): string {
    const path = join(this.dir, 'connect.mjs');
    if (!existsSync(path)) {
      writeFileSync(
        path,
        [
          "import { connect } from 'node:net';",
          'const socket = connect(Number(process.argv[3]), process.argv[2]);',
          'process.stdin.pipe(socket);',
          'socket.pipe(process.stdout);',
          "socket.on('close', () => process.exit(0));",
          "socket.on('error', () => process.exit(1));",
          '',
        ].join('\n'),
      );
    }
    return path;
  }

  /** What a local gritty needs in its environment to reach this host: the ssh wrapper and the remote gritty. */
  get clientEnv(): Record<string, string> {
    return { GRITTY_SSH: this.sshWrapper, GRITTY_REMOTE_BIN: GRITTY_BIN };
  }

  /** Points a local test world at this sshd (GRITTY_SSH, GRITTY_REMOTE_BIN). */
  use(world: GrittyEnv): GrittyEnv {
    Object.assign(world.env, this.clientEnv);
    return world;
  }

  /** Runs ssh through the wrapper to completion. */
  ssh(args: string[], options: { timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(this.sshWrapper, args, { encoding: 'utf8', timeout: options.timeoutMs ?? 20_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs the gritty CLI as the remote side would (same machine, the remote's XDG dirs), without ssh. */
  remoteGritty(args: string[], options: { timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [GRITTY_BIN, ...args], { env: this.remoteEnv, encoding: 'utf8', timeout: options.timeoutMs ?? 20_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** The remote gritty daemons (normally one). */
  remoteDaemons(): ProcessInfo[] {
    return processesWithEnv('XDG_RUNTIME_DIR', this.remoteEnv.XDG_RUNTIME_DIR!).filter((p) => p.exe === 'node' && p.argv.includes('server') && p.argv.includes('--foreground'));
  }

  /** The sshd processes serving the connection of a local ssh client (its ProxyCommand and below). */
  sshdServing(sshPid: number): ProcessInfo[] {
    return descendantsOf(sshPid).filter((p) => p.exe === 'sshd');
  }

  /** Every process of the remote side: its sshds, the remote daemon and its sessions. */
  remoteProcesses(): number[] {
    const pids = new Set<number>();
    for (const p of processesWithEnv(SSHD_MARK, this.dir)) pids.add(p.pid);
    for (const p of processesWithEnv('XDG_RUNTIME_DIR', this.remoteEnv.XDG_RUNTIME_DIR!)) pids.add(p.pid);
    if (this.netns !== undefined) {
      const r = sh('ip', ['netns', 'pids', this.netns]);
      for (const line of r.stdout.split('\n')) if (/^\d+$/.test(line.trim())) pids.add(Number(line));
    }
    return [...pids];
  }

  /** The tail of sshd's log, for failure messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.sshdLog, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no sshd log)';
    }
  }

  /** Kills every remote process (stopped ones too), deletes the namespace and the temp dir. */
  cleanup(): void {
    for (let round = 0; round < 3; round++) {
      const pids = this.remoteProcesses();
      if (pids.length === 0) break;
      signalAll(pids, 'SIGKILL');
    }
    if (this.netns !== undefined) sh('ip', ['netns', 'delete', this.netns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Local processes of a test world: everything that inherited its XDG_RUNTIME_DIR. */
export function worldProcesses(world: GrittyEnv): ProcessInfo[] {
  return processesWithEnv('XDG_RUNTIME_DIR', world.env.XDG_RUNTIME_DIR!);
}

/** The local `ssh -N` tunnel processes of a test world. */
export function tunnelSshes(world: GrittyEnv): ProcessInfo[] {
  return worldProcesses(world).filter((p) => p.exe === 'ssh' && p.argv.includes('-N'));
}

/**
 * Freezes the whole laptop side of a world (clients, supervisors, ssh: its node and
 * ssh processes, not the terminal or shells, nor the sshds serving it) like a closed
 * lid; `thaw()` wakes exactly those processes.
 */
export function freezeLaptop(world: GrittyEnv): { pids: number[]; thaw(): void } {
  const pids = worldProcesses(world)
    .filter((p) => p.exe === 'node' || p.exe === 'ssh')
    .map((p) => p.pid);
  signalAll(pids, 'SIGSTOP');
  return { pids, thaw: () => signalAll(pids, 'SIGCONT') };
}

/** Kills every local process of a world (supervisors, ssh, clients, daemon), stopped ones included. */
export function killWorld(world: GrittyEnv): void {
  for (let round = 0; round < 3; round++) {
    const pids = worldProcesses(world).map((p) => p.pid);
    if (pids.length === 0) break;
    signalAll(pids, 'SIGKILL');
  }
}
