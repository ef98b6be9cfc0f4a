import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GRITTY_BIN } from './gritty-world.js';
import { OuterTerminal } from './outer-terminal.js';
import { processesWithEnv, signalAll } from './processes.js';
import type { SshHarness } from './sshd-harness.js';
import { sleep } from './stats.js';

/**
 * What the forwarding benchmarks share: the laptop's stream server (its own process),
 * the consumer script, free loopback ports, and a gritty session over ssh that runs
 * `gritty lf` (by absolute path: the remote session has no gritty on PATH) attached in
 * an outer terminal, so a client is there to accept the forward's connections.
 */

export const STREAM_SERVER = fileURLToPath(new URL('./stream-server.js', import.meta.url));
export const STREAM_CONSUMER = fileURLToPath(new URL('./stream-consumer.js', import.meta.url));
/** Set in the environment of the processes a forward session starts, so they can be found and stopped. */
const FORWARD_MARK = 'GRITTY_BENCH_FORWARD';

export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export interface StreamServer {
  port: number;
  process: ChildProcess;
  stop(): void;
}

export async function startStreamServer(): Promise<StreamServer> {
  const child = spawn(process.execPath, [STREAM_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`the stream server exited (${code})`)));
  });
  return { port, process: child, stop: () => void child.kill('SIGKILL') };
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until something accepts on 127.0.0.1:port (the probe sends nothing, so the stream server streams nothing). */
export async function waitListening(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} on 127.0.0.1:${port}`);
    await sleep(50);
  }
}

/** A gritty session over ssh whose shell command starts `gritty lf LISTEN:TARGET` first; attached in an outer terminal. */
export class ForwardSession {
  readonly term: OuterTerminal;
  private constructor(
    private readonly h: SshHarness,
    readonly target: string,
    private readonly mark: string,
  ) {
    this.term = new OuterTerminal({ file: process.execPath, args: [GRITTY_BIN, 'attach', target], env: h.env });
  }

  /**
   * `gritty new -d` running `gritty lf listen:targetPort` in the background, then `rest`
   * (a shell command that prints READY once set up; `marked` prefixes a command it
   * starts in the background so close() stops it too); attaches and waits for READY.
   */
  static async open(h: SshHarness, name: string, listen: number, targetPort: number, rest: (marked: (command: string) => string) => string): Promise<ForwardSession> {
    const target = `${h.host}:${name}`;
    const mark = `${h.scratch}/${name}`;
    const marked = (command: string): string => `env ${FORWARD_MARK}=${shellQuote(mark)} ${command}`;
    const lf = `${marked(`${shellQuote(process.execPath)} ${shellQuote(GRITTY_BIN)} lf ${listen}:${targetPort}`)} 2>/dev/null &`;
    h.gritty(['new', '-d', '-c', `exec sh -c ${shellQuote(`${lf} ${rest(marked)}`)}`, target]);
    const session = new ForwardSession(h, target, mark);
    try {
      await session.term.waitFor('READY', 30_000);
    } catch (err) {
      session.close();
      throw err;
    }
    return session;
  }

  close(): void {
    this.term.close();
    spawnSync(process.execPath, [GRITTY_BIN, 'kill-session', this.target], { env: this.h.env, stdio: 'ignore', timeout: 10_000 });
    signalAll(
      processesWithEnv(FORWARD_MARK, this.mark).map((p) => p.pid),
      'SIGKILL',
    );
  }
}
