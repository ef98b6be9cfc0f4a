import { spawnSync } from 'node:child_process';
import { cpuMsOf } from './cpu.js';
import { GrittyWorld } from './gritty-world.js';
import { grittyProcesses, type Peer, type PeerSession } from './peers.js';
import { descendantsOf, signalAll } from './processes.js';
import { sleep } from './stats.js';

/**
 * Issue 11's busy daemon: one gritty daemon holds N other sessions, none attached, each
 * printing a numbered 80-byte line every few ms (a chatty log tail or a build, in each
 * of them); the bench's own session lives in the same daemon. Two peers share that
 * session's daemon and take turns: before a "streaming" turn the load is resumed
 * (SIGCONT), before a "silent" turn it is stopped (SIGSTOP), so the same daemon, the
 * same sessions and the same minutes give the figure with and without the load.
 */

export interface BusyOptions {
  /** Other sessions in the daemon, each streaming. */
  sessions: number;
  /** Lines each of them prints per second. */
  linesPerSec: number;
}

/** `gritty new` processes started at once while populating the daemon. */
const CREATE_CONCURRENCY = 4;
/** After resuming or stopping the load, time for the daemon to reach its steady state (the load's output flowing, or drained). */
const PHASE_SETTLE_MS = 300;
/** One line of the load: 8 digits, a space, 70 dashes and a newline, 80 bytes. */
const LINE_FILL = 70;
/** How long the load's own cost is measured, with nothing else asked of the daemon. */
export const LOAD_SAMPLE_MS = 2_000;
/** Before that, time for the daemon to finish setting up the sessions just created. */
const LOAD_SETTLE_MS = 1_000;

/** What the load alone costs, in percent of one core: the daemon's share, and the printers' own. */
export interface LoadCost {
  daemonPercent: number;
  printersPercent: number;
}

function loadCommand(linesPerSec: number): string {
  const interval = (1 / linesPerSec).toFixed(4);
  return `exec perl -e '$| = 1; my $n = 0; while (1) { printf("%08d %s\\n", $n++, "-" x ${LINE_FILL}); select(undef, undef, undef, ${interval}) }'`;
}

/** The busy daemon and its load; `peers()` gives the two phases as peers of the throughput and echo benchmarks. */
export class BusyDaemon {
  private readonly world = new GrittyWorld();
  private load: number[] = [];
  private streaming = true;
  private count = 0;

  private constructor(readonly options: BusyOptions) {}

  static async start(options: BusyOptions): Promise<BusyDaemon> {
    if (spawnSync('sh', ['-c', 'command -v perl'], { stdio: 'ignore' }).status !== 0) throw new Error('perl is not installed: the busy sessions print with it');
    const busy = new BusyDaemon(options);
    try {
      const command = loadCommand(options.linesPerSec);
      let made = 0;
      while (made < options.sessions) {
        const batch: Promise<string>[] = [];
        for (let i = 0; i < CREATE_CONCURRENCY && made < options.sessions; i++) batch.push(busy.world.runAsync(['new', '-d', '-c', command, `local:load${++made}`]));
        await Promise.all(batch);
      }
      busy.load = descendantsOf(busy.world.serverPid())
        .filter((p) => p.exe.startsWith('perl'))
        .map((p) => p.pid);
      if (busy.load.length !== options.sessions) throw new Error(`found ${busy.load.length} load processes, expected ${options.sessions}`);
      return busy;
    } catch (err) {
      busy.dispose();
      throw err;
    }
  }

  /** What the load costs while nothing else is asked of the daemon. */
  async measureLoad(): Promise<LoadCost> {
    const daemon = this.world.serverPid();
    const printers = (): number => this.load.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    await sleep(LOAD_SETTLE_MS);
    const before = { daemon: cpuMsOf(daemon), printers: printers() };
    await sleep(LOAD_SAMPLE_MS);
    const percent = (ms: number): number => (ms / LOAD_SAMPLE_MS) * 100;
    return { daemonPercent: percent(cpuMsOf(daemon) - before.daemon), printersPercent: percent(printers() - before.printers) };
  }

  peers(): Peer[] {
    return [this.phase(true), this.phase(false)];
  }

  dispose(): void {
    signalAll(this.load, 'SIGCONT');
    this.world.cleanup();
  }

  private async enter(streaming: boolean): Promise<void> {
    if (this.streaming === streaming) return;
    signalAll(this.load, streaming ? 'SIGCONT' : 'SIGSTOP');
    this.streaming = streaming;
    await sleep(PHASE_SETTLE_MS);
  }

  private phase(streaming: boolean): Peer {
    const name = busyPeerName(this.options.sessions, streaming);
    return {
      name,
      missing: () => undefined,
      open: async (script: string): Promise<PeerSession> => {
        const target = `local:bench${++this.count}`;
        this.world.run(['new', '-d', '-c', `exec sh -c '${script.replaceAll("'", `'\\''`)}'`, target]);
        return {
          client: { ...this.world.argv(['attach', target]), env: this.world.env },
          processes: (clientPid) => grittyProcesses(clientPid, this.world.serverPid()),
          beforeTurn: () => this.enter(streaming),
          close: () => void spawnSync(process.execPath, [...this.world.argv(['kill-session', target]).args], { env: this.world.env, timeout: 10_000 }),
        };
      },
      dispose: () => {},
    };
  }
}

export function busyPeerName(sessions: number, streaming: boolean): string {
  return streaming ? `gritty, ${sessions} other sessions streaming` : `gritty, the same ${sessions} sessions stopped`;
}
