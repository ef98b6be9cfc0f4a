import { spawnPty, type Pty } from '../src/server/pty.js';
import { nowMs } from './stats.js';

/** What runs in the outer terminal: a viewer of a session (or, for the bare PTY, the workload itself). */
export interface ClientCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

export const OUTER_COLS = 80;
export const OUTER_ROWS = 24;
const RECENT_BYTES = 1024;

interface Watch {
  needle: Buffer;
  tail: Buffer;
  resolve(atMs: number): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The terminal a person would be looking at: a real PTY (node-pty, through gritty's
 * own wrapper) whose output this process reads as fast as it can. It counts bytes
 * and notices when a given string appears, stamping the time the chunk arrived.
 */
export class OuterTerminal {
  /** Bytes read from the terminal so far. */
  bytes = 0;
  private readonly pty: Pty;
  private watch: Watch | undefined;
  private exited = false;
  /** The last bytes shown, to say what a client printed before it died. */
  private recent: Buffer = Buffer.alloc(0);

  constructor(command: ClientCommand) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, ...command.env })) {
      if (value !== undefined && key !== 'TMUX' && key !== 'TMUX_PANE' && key !== 'STY') env[key] = value;
    }
    env.TERM = 'xterm-256color';
    env.LANG = env.LANG ?? 'C.UTF-8';
    const started = spawnPty({ file: command.file, args: command.args, cwd: process.cwd(), env, cols: OUTER_COLS, rows: OUTER_ROWS });
    if (!started.ok) throw new Error(started.error);
    this.pty = started.pty;
    this.pty.onData((chunk) => this.onData(chunk));
    this.pty.onExit(() => {
      this.exited = true;
      const last = this.recent.toString('utf8').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '').trim().slice(-300);
      this.watch?.reject(new Error(`${command.file} ${command.args[1] ?? command.args[0] ?? ''} exited while waiting for ${JSON.stringify(this.watch.needle.toString())}; it showed: ${JSON.stringify(last)}`));
    });
  }

  /**
   * Resolves with the arrival time (nowMs) of the chunk that completes `text`,
   * looking only at bytes that arrive after this call.
   */
  waitFor(text: string, timeoutMs: number): Promise<number> {
    if (this.watch !== undefined) throw new Error('one waitFor at a time');
    if (this.exited) return Promise.reject(new Error(`the outer terminal's program exited`));
    return new Promise<number>((resolve, reject) => {
      const done = (fn: () => void): void => {
        clearTimeout(watch.timer);
        this.watch = undefined;
        fn();
      };
      const watch: Watch = {
        needle: Buffer.from(text),
        tail: Buffer.alloc(0),
        resolve: (at) => done(() => resolve(at)),
        reject: (err) => done(() => reject(err)),
        timer: setTimeout(() => watch.reject(new Error(`timed out after ${timeoutMs} ms waiting for ${JSON.stringify(text)}`)), timeoutMs),
      };
      this.watch = watch;
    });
  }

  /** The pid of the program running in the terminal (the client). */
  get pid(): number {
    return this.pty.pid;
  }

  write(data: string | Buffer): void {
    this.pty.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  close(): void {
    this.watch?.reject(new Error('outer terminal closed'));
    this.pty.kill('SIGKILL');
  }

  private onData(chunk: Buffer): void {
    const at = nowMs();
    this.bytes += chunk.length;
    this.recent = chunk.length >= RECENT_BYTES ? chunk.subarray(chunk.length - RECENT_BYTES) : Buffer.concat([this.recent, chunk]).subarray(-RECENT_BYTES);
    const watch = this.watch;
    if (watch === undefined) return;
    const hay = watch.tail.length === 0 ? chunk : Buffer.concat([watch.tail, chunk]);
    if (hay.includes(watch.needle)) {
      watch.resolve(at);
      return;
    }
    const keep = Math.min(hay.length, watch.needle.length - 1);
    watch.tail = Buffer.from(hay.subarray(hay.length - keep));
  }
}
