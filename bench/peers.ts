import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from './cpu.js';
import { GrittyWorld } from './gritty-world.js';
import type { ClientCommand } from './outer-terminal.js';
import { listProcesses } from './processes.js';

/**
 * The things gritty is compared with, each able to run a shell script in a session and
 * say what to run in the outer terminal to view it. Every peer keeps its sockets in a
 * private temp dir and tears down everything it started.
 */
export interface PeerSession {
  /** Runs in the outer terminal: attaches to the session (or, for the bare PTY, is it). */
  client: ClientCommand;
  /** The processes output crosses between the session's program and the outer terminal (beside the client, whose pid is `clientPid`), by role. */
  processes(clientPid: number): Account[];
  /** Runs before each of this session's turns in an interleaved benchmark (the busy scenario starts or stops its load here). */
  beforeTurn?(): Promise<void>;
  close(): void;
}

export interface Peer {
  readonly name: string;
  /** Why this peer cannot run on this machine, or undefined when it can. */
  missing(): string | undefined;
  /** A session running `sh -c script`, not yet viewed. */
  open(script: string): Promise<PeerSession>;
  /** Stops servers and removes temp dirs. */
  dispose(): void;
}

function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

function privateDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o700);
  return dir;
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** The workload run directly in the outer PTY: the floor every multiplexer adds to. */
export class BarePeer implements Peer {
  readonly name = 'bare PTY';
  missing(): string | undefined {
    return undefined;
  }
  async open(script: string): Promise<PeerSession> {
    return { client: { file: 'sh', args: ['-c', script] }, processes: () => [], close: () => {} };
  }
  dispose(): void {}
}

/** gritty: a daemon in a private world; `new -d`, then `attach` in the outer terminal. */
export class GrittyPeer implements Peer {
  readonly name = 'gritty';
  private world: GrittyWorld | undefined;
  private count = 0;

  missing(): string | undefined {
    return undefined;
  }

  async open(script: string): Promise<PeerSession> {
    this.world ??= new GrittyWorld();
    const world = this.world;
    const target = `local:bench${++this.count}`;
    world.run(['new', '-d', '-c', `exec sh -c '${script.replaceAll("'", `'\\''`)}'`, target]);
    return {
      client: { ...world.argv(['attach', target]), env: world.env },
      processes: (clientPid) => grittyProcesses(clientPid, world.serverPid()),
      close: () => {
        spawnSync(process.execPath, [...world.argv(['kill-session', target]).args], { env: world.env, timeout: 10_000 });
      },
    };
  }

  dispose(): void {
    this.world?.cleanup();
    this.world = undefined;
  }
}

/** gritty's client and its daemon, the daemon split into main thread, its busiest helper thread and the rest. */
export function grittyProcesses(clientPid: number, daemonPid: number): Account[] {
  return [
    { role: 'gritty client (`gritty attach`)', pids: [clientPid] },
    { role: 'gritty daemon', pids: [daemonPid], busiestThread: 'busiest other thread (a V8 or libuv helper)' },
  ];
}

/** dtach: `dtach -A` in the outer terminal starts the master (a separate process) and attaches to it. */
export class DtachPeer implements Peer {
  readonly name = 'dtach';
  private dir: string | undefined;
  private count = 0;

  missing(): string | undefined {
    return has('dtach') ? undefined : 'dtach is not installed (apt-get install dtach)';
  }

  async open(script: string): Promise<PeerSession> {
    this.dir ??= privateDir('gritty-bench-dtach-');
    const n = ++this.count;
    const socket = join(this.dir, `s${n}.sock`);
    const pidFile = join(this.dir, `s${n}.pid`);
    return {
      client: { file: 'dtach', args: ['-A', socket, '-E', '-r', 'none', 'sh', '-c', `echo $$ > ${pidFile}; ${script}`] },
      processes: (clientPid) => [
        { role: 'dtach client', pids: [clientPid] },
        { role: 'dtach master', pids: listProcesses().filter((p) => p.exe === 'dtach' && p.pid !== clientPid && p.argv.includes(socket)).map((p) => p.pid) },
      ],
      close: () => {
        // the master exits once its child has
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0) killQuietly(pid);
      },
    };
  }

  dispose(): void {
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** One tmux server on a private socket, with no config file and no status line. */
export class TmuxServer {
  readonly dir = privateDir('gritty-bench-tmux-');
  readonly socket = join(this.dir, 'tmux.sock');

  cmd(args: string[]): string {
    const r = spawnSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000, env: tmuxEnv() });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  newSession(name: string, argv: string[]): void {
    this.cmd(['new-session', '-d', '-s', name, '-x', '80', '-y', '24', ...argv]);
    this.cmd(['set', '-g', 'status', 'off']);
  }

  pid(): number {
    return Number(this.cmd(['display-message', '-p', '#{pid}']).trim());
  }

  kill(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore', timeout: 10_000, env: tmuxEnv() });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function tmuxEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}

/** tmux: a detached session, and `tmux attach` as the client in the outer terminal. */
export class TmuxPeer implements Peer {
  readonly name = 'tmux';
  private server: TmuxServer | undefined;
  private count = 0;

  missing(): string | undefined {
    return has('tmux') ? undefined : 'tmux is not installed (apt-get install tmux)';
  }

  async open(script: string): Promise<PeerSession> {
    this.server ??= new TmuxServer();
    const server = this.server;
    const name = `bench${++this.count}`;
    server.newSession(name, ['sh', '-c', script]);
    return {
      client: { file: 'tmux', args: ['-S', server.socket, 'attach', '-t', name] },
      processes: (clientPid) => [
        { role: 'tmux client', pids: [clientPid] },
        { role: 'tmux server', pids: [server.pid()] },
      ],
      close: () => {
        spawnSync('tmux', ['-S', server.socket, 'kill-session', '-t', name], { stdio: 'ignore', env: tmuxEnv() });
      },
    };
  }

  dispose(): void {
    this.server?.kill();
    this.server = undefined;
  }
}

/**
 * mosh, for reference: mosh-server on loopback UDP, mosh-client in the outer terminal
 * (no ssh: the key is handed over directly). mosh sends screen states, not bytes, and
 * batches its frames, so its figures measure a different design.
 */
export class MoshPeer implements Peer {
  readonly name = 'mosh (reference)';

  missing(): string | undefined {
    return has('mosh-server') && has('mosh-client') ? undefined : 'mosh is not installed (apt-get install mosh)';
  }

  async open(script: string): Promise<PeerSession> {
    const env = { ...tmuxEnv(), LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
    const r = spawnSync('mosh-server', ['new', '-i', '127.0.0.1', '-c', '256', '--', 'sh', '-c', script], { encoding: 'utf8', env, timeout: 10_000 });
    const connect = /MOSH CONNECT (\d+) (\S+)/.exec(r.stdout);
    const pid = /pid = (\d+)/.exec(r.stderr);
    if (connect === null || pid === null) throw new Error(`mosh-server did not start: ${r.stdout} ${r.stderr}`);
    return {
      client: { file: 'mosh-client', args: ['127.0.0.1', connect[1]!], env: { MOSH_KEY: connect[2]!, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } },
      processes: (clientPid) => [
        { role: 'mosh-client', pids: [clientPid] },
        { role: 'mosh-server', pids: [Number(pid[1])] },
      ],
      close: () => killQuietly(Number(pid[1]), 'SIGTERM'),
    };
  }

  dispose(): void {}
}

/** The peers of the local benchmarks, gritty first. */
export function localPeers(): Peer[] {
  return [new GrittyPeer(), new BarePeer(), new DtachPeer(), new TmuxPeer(), new MoshPeer()];
}
