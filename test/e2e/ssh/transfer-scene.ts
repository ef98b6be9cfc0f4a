import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { GrittyEnv } from '../../helpers/daemon.js';
import { RemoteWorlds, startClient } from '../../helpers/remote-world.js';
import { INNER_PROMPT, type TmuxTerminal } from '../../helpers/terminal.js';
import { exitOf, waitFor } from '../../helpers/wait.js';

/**
 * What the gritty send / receive end-to-end tests share: a laptop attached to
 * devbox:work in a terminal (the session runs on the private sshd's devbox), helpers
 * run on the laptop with their output kept, and files of random bytes.
 */

const WRITE_CHUNK_BYTES = 4 << 20;

/** A file of random bytes; returns its sha256. */
export function randomFile(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  for (let left = bytes; left > 0; left -= WRITE_CHUNK_BYTES) {
    const chunk = randomBytes(Math.min(WRITE_CHUNK_BYTES, left));
    hash.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return hash.digest('hex');
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Bytes in the files of `dir` (temporaries included): how far a transfer into it has come. */
export function bytesIn(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** The text of a file a session command redirected into, '' while it does not exist. */
export function textOf(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

export interface LaptopHelper {
  child: ChildProcess;
  out: () => Buffer;
  err: () => string;
  exit: Promise<number | string>;
}

export class TransferScene {
  private readonly children: ChildProcess[] = [];

  private constructor(
    readonly worlds: RemoteWorlds,
    readonly laptop: GrittyEnv,
    readonly term: TmuxTerminal,
  ) {}

  /** A laptop attached to devbox:work in a terminal, at the session's prompt. */
  static async start(rows = 40): Promise<TransferScene> {
    const worlds = RemoteWorlds.start();
    try {
      const laptop = worlds.laptop();
      const term = await worlds.terminal(laptop, { cols: 200, rows });
      startClient(term, ['new', '-c', worlds.shell(laptop), 'devbox:work']);
      await term.waitFor(INNER_PROMPT.trim(), { timeoutMs: 20_000 });
      return new TransferScene(worlds, laptop, term);
    } catch (err) {
      worlds.cleanup();
      throw err;
    }
  }

  /** Runs gritty on the laptop, keeping its output. */
  onLaptop(args: string[]): LaptopHelper {
    const child = this.laptop.spawn(args);
    this.children.push(child);
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return { child, out: () => Buffer.concat(out), err: () => err, exit: exitOf(child) };
  }

  /** Waits until a laptop helper says it waits for its other half. */
  async waiting(helper: LaptopHelper): Promise<void> {
    await waitFor(() => helper.err().includes('waiting up to'), { what: 'the laptop helper to wait', timeoutMs: 20_000, describe: helper.err });
  }

  /** A new directory under the laptop's temp root (the session runs on the same machine, so it sees it too). */
  dir(name: string): string {
    const path = join(this.laptop.root, name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /**
   * Runs `command` in the session with its stderr in a file and its status in another;
   * returns readers for both (the status is undefined until it ended).
   */
  inSession(name: string, command: string): { err: () => string; status: () => number | undefined } {
    const errors = join(this.laptop.root, `${name}.err`);
    const status = join(this.laptop.root, `${name}.status`);
    this.term.line(`clear; ${command} 2>${errors}; echo $? > ${status}`);
    return {
      err: () => textOf(errors),
      status: () => {
        const text = textOf(status).trim();
        return text === '' ? undefined : Number(text);
      },
    };
  }

  cleanup(): void {
    for (const child of this.children.splice(0)) child.kill('SIGKILL');
    this.worlds.cleanup();
  }
}
