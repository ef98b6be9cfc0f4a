import { chmod, realpath, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { GrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import type { TransferEvents } from './events.js';
import { KEPT_MODE_BITS, PartFile, diskFullError, sweepStaleParts } from './part-file.js';
import { ensureDirs, existingAt } from './safe-path.js';
import type { DirRecord, FileRecord, Incoming, OfferRecord, Target } from './target.js';

/** Directories announced by the sender are made private while files go in, and get their own mode at the end. */
const DIR_MODE_WHILE_FILLING = 0o700;
/** Parents nobody announced are made as mkdir(1) would: 0777 less the umask. */
const IMPLICIT_DIR_MODE = 0o777;

/** Receives into a directory: every name under `root`, through real directories only. */
export class DirTarget implements Target {
  private readonly created: { path: string; mode: number; mtime: number }[] = [];
  private readonly swept = new Set<string>();

  private constructor(
    private readonly root: string,
    private readonly events: TransferEvents,
  ) {}

  /** `dir` must exist and be a directory; a symlink to one is fine (the user chose it). */
  static async open(dir: string, events: TransferEvents): Promise<DirTarget> {
    const root = await realpath(dir).catch((err: NodeJS.ErrnoException) => {
      throw new GrittyError('bad-usage', `cannot receive into ${printable(dir)}: ${err.code ?? err.message}. Create it first or name another directory`, { cause: err });
    });
    if (!(await stat(root)).isDirectory()) throw new GrittyError('bad-usage', `${printable(dir)} is not a directory; name a directory to receive into`);
    return new DirTarget(root, events);
  }

  accept(offer: OfferRecord): void {
    if (offer.kind === 'stream') {
      throw new GrittyError('bad-usage', 'the sender sends a pipe (send --stdin), which has no file name: receive it with gritty receive --stdout');
    }
  }

  async dir(record: DirRecord, parts: readonly string[]): Promise<void> {
    const { path, created } = await ensureDirs(this.root, record.path, parts, DIR_MODE_WHILE_FILLING);
    if (created) this.created.push({ path, mode: record.mode & KEPT_MODE_BITS, mtime: record.mtime });
  }

  async begin(record: FileRecord | undefined, parts: readonly string[]): Promise<Incoming> {
    if (record === undefined) throw new GrittyError('bad-message', 'a directory receives named files only');
    const name = parts[parts.length - 1]!;
    const { path: dir } = await ensureDirs(this.root, record.path, parts.slice(0, -1), IMPLICIT_DIR_MODE);
    const target = join(dir, name);
    const existing = await existingAt(target);
    if (existing === 'dir' || existing === 'other') {
      throw new GrittyError('transfer-failed', `${printable(record.path)} exists and is not a file; move it away and send again`);
    }
    if (!this.swept.has(dir)) {
      this.swept.add(dir);
      await sweepStaleParts(dir);
    }
    const part = await PartFile.create(dir, name);
    const events = this.events;
    const failed = async (err: unknown): Promise<never> => {
      await part.discard();
      throw (await diskFullError(err, record.path, dir)) ?? err;
    };
    return {
      write: (pieces, written) => part.write(pieces, written).catch(failed),
      async commit() {
        if ((await existingAt(target)) !== 'none') events.replacing(record.path);
        await part.commit(target, record.mode, record.mtime).catch(failed);
      },
      discard: () => part.discard(),
    };
  }

  /** Deepest first, so setting a parent's mtime is not undone by touching its child. */
  async finish(): Promise<void> {
    for (const dir of [...this.created].reverse()) {
      await chmod(dir.path, dir.mode);
      await utimes(dir.path, new Date(dir.mtime), new Date(dir.mtime));
    }
  }
}

/** Pipe mode: one stream, or exactly one file, written to `output` (which the caller owns). */
export class StdoutTarget implements Target {
  private begun = false;

  constructor(private readonly output: Writable) {}

  accept(offer: OfferRecord): void {
    if (offer.kind === 'files' && offer.files !== 1) {
      throw new GrittyError('bad-usage', `the sender offers ${offer.files} files, and stdout takes one: receive them into a directory instead`);
    }
  }

  async dir(): Promise<void> {
    throw new GrittyError('bad-usage', 'a directory cannot be written to stdout: receive it into a directory instead');
  }

  async begin(): Promise<Incoming> {
    if (this.begun) throw new GrittyError('bad-usage', 'stdout takes one file: receive several into a directory instead');
    this.begun = true;
    const output = this.output;
    return {
      async write(pieces, written) {
        output.cork();
        const last = pieces.length - 1;
        const onWritten = written === undefined ? undefined : (err: Error | null | undefined): void => void (err ?? written());
        const flowing = pieces.map((piece, i) => output.write(piece, i === last ? onWritten : undefined)).at(-1) ?? true;
        output.uncork();
        if (flowing) return;
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error): void => {
            output.off('drain', onDrain);
            output.off('error', done);
            output.off('close', onClose);
            if (err === undefined) resolve();
            else reject(new GrittyError('transfer-failed', `cannot write to stdout: ${err.message}`, { cause: err }));
          };
          const onDrain = (): void => done();
          const onClose = (): void => done(new Error('it was closed'));
          output.on('drain', onDrain);
          output.on('error', done);
          output.on('close', onClose);
        });
      },
      async commit() {},
      async discard() {},
    };
  }

  async finish(): Promise<void> {}
}
