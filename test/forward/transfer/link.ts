import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SkipReason } from '../../../src/forward/transfer/format.js';
import type { ReusedReads } from '../../../src/relay/reused-reads.js';
import type { TransferEvents, TransferResult } from '../../../src/forward/transfer/events.js';

let socketCount = 0;

async function listenAt(dir: string, allowHalfOpen = false): Promise<{ path: string; server: Server }> {
  socketCount += 1;
  const path = join(dir, `transfer-${socketCount}.sock`);
  const server = createServer({ allowHalfOpen });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  return { path, server };
}

/** A real Unix socket in a temp dir: the listening end and the connecting end of one connection. */
export class SocketLink {
  private constructor(
    readonly path: string,
    private readonly server: Server,
    /** The end accepted by the server. */
    readonly accepted: Socket,
    /** The end that connected. */
    readonly connected: Socket,
  ) {}

  /**
   * `allowHalfOpen`: each end stays writable after the other ended, as a channel with eof frames may.
   * `reusedReads`: the connecting end reads into its buffer, as the CLI's sockets do.
   */
  static async open(dir: string, options: { allowHalfOpen?: boolean; reusedReads?: ReusedReads } = {}): Promise<SocketLink> {
    const { path, server } = await listenAt(dir, options.allowHalfOpen);
    const acceptedP = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const connected = createConnection({ path, allowHalfOpen: options.allowHalfOpen ?? false, onread: options.reusedReads?.onread });
    options.reusedReads?.attach(connected);
    await new Promise<void>((resolve, reject) => connected.once('connect', resolve).once('error', reject));
    return new SocketLink(path, server, await acceptedP, connected);
  }

  /** Listens only; a child process connects later. */
  static async listen(dir: string): Promise<{ path: string; server: Server; next: () => Promise<Socket> }> {
    const { path, server } = await listenAt(dir);
    return { path, server, next: () => new Promise<Socket>((resolve) => server.once('connection', resolve)) };
  }

  close(): void {
    this.accepted.destroy();
    this.connected.destroy();
    this.server.close();
  }
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `gritty-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type Recorded =
  | { event: 'start'; path: string; size: number | undefined }
  | { event: 'done' | 'replacing'; path: string }
  | { event: 'failed'; path: string; message: string }
  | { event: 'skipped'; path: string; reason: SkipReason };

/** Events as they happened, and the bytes counted through progress(). */
export class RecordingEvents implements TransferEvents {
  readonly log: Recorded[] = [];
  progressBytes = 0;
  result: TransferResult | undefined;

  start(path: string, size: number | undefined): void {
    this.log.push({ event: 'start', path, size });
  }
  progress(bytes: number): void {
    this.progressBytes += bytes;
  }
  done(path: string): void {
    this.log.push({ event: 'done', path });
  }
  failed(path: string, message: string): void {
    this.log.push({ event: 'failed', path, message });
  }
  replacing(path: string): void {
    this.log.push({ event: 'replacing', path });
  }
  skipped(path: string, reason: SkipReason): void {
    this.log.push({ event: 'skipped', path, reason });
  }
  finished(result: TransferResult): void {
    this.result = result;
  }

  paths(event: Recorded['event']): string[] {
    return this.log.filter((e) => e.event === event).map((e) => e.path);
  }
}
