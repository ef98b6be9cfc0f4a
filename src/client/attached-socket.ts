import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { splice } from '../forward/splice.js';
import { formatBytes } from '../forward/transfer/part-file.js';
import { Connection } from '../relay/connection.js';
import { GrittyError, isGrittyError } from '../relay/errors.js';
import { PROTOCOL_VERSION } from '../relay/messages.js';
import { printable } from '../relay/printable.js';
import { isSameProcess, processStartTime } from '../relay/process-identity.js';
import { listenPrivate } from '../relay/secure-socket.js';
import { OK_FRAME, readOk } from './one-frame.js';
import { readTransferRequest, type SessionWaiter, type TransferRequest, type TransferRoom } from './transfer-room.js';

/** A laptop helper has this long to say hello and make its request, and to take a proposed pairing. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Who the attached client of `attached-<pid>.sock` is attached to, in the JSON file
 * beside it: written once attached (again after each reattach, so a rename shows),
 * removed with the socket when the client ends.
 */
export interface AttachedInfo {
  pid: number;
  startTime: number | undefined;
  host: string;
  session: string;
  sessionId: string;
  socket: string;
}

export function attachedSocketPath(socketDir: string, pid: number): string {
  return join(socketDir, `attached-${pid}.sock`);
}

function infoPath(socketDir: string, pid: number): string {
  return join(socketDir, `attached-${pid}.json`);
}

/** The attached clients of this user on this machine: those whose process still runs. A dead one's files are removed. */
export function attachedClients(socketDir: string): AttachedInfo[] {
  let names: string[];
  try {
    names = readdirSync(socketDir);
  } catch {
    return [];
  }
  const found: AttachedInfo[] = [];
  for (const name of names) {
    const m = /^attached-(\d+)\.json$/.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    const info = readInfo(join(socketDir, name), pid);
    if (info === undefined) continue;
    if (!isSameProcess(info.pid, info.startTime)) {
      rmSync(join(socketDir, name), { force: true });
      rmSync(attachedSocketPath(socketDir, pid), { force: true });
      continue;
    }
    found.push({ ...info, socket: attachedSocketPath(socketDir, pid) });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

function readInfo(path: string, pid: number): AttachedInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as Partial<AttachedInfo>;
    if (info.pid !== pid || typeof info.host !== 'string' || typeof info.session !== 'string' || typeof info.sessionId !== 'string') return undefined;
    return { pid, startTime: typeof info.startTime === 'number' ? info.startTime : undefined, host: info.host, session: info.session, sessionId: info.sessionId, socket: '' };
  } catch {
    return undefined;
  }
}

export interface AttachedSocketOptions {
  socketDir: string;
  host: string;
  room: TransferRoom;
  /** One line on the attached terminal (through its status line). */
  notice(text: string): void;
  log(line: string): void;
}

/**
 * The attached client's own socket, `attached-<pid>.sock` in the laptop's socket dir:
 * `gritty send`/`receive` run on the laptop reach the session's link through it. It
 * speaks hello and one `svc-channel` of kind `transfer`, like a session's service
 * socket; the client answers `ok` once a helper in the session pairs with it, the
 * helper answers `ok` to take it, and the connection is the transfer's byte stream.
 */
export class AttachedSocket {
  private readonly helpers = new Set<Connection>();
  private readonly startedAt = Date.now();
  private closed = false;

  private constructor(
    private readonly options: AttachedSocketOptions,
    private readonly server: Server,
  ) {}

  static async open(options: AttachedSocketOptions): Promise<AttachedSocket> {
    let socket: AttachedSocket | undefined;
    const server = await listenPrivate(attachedSocketPath(options.socketDir, process.pid), (conn) => {
      if (socket === undefined) conn.destroy();
      else socket.serve(conn);
    });
    socket = new AttachedSocket(options, server);
    return socket;
  }

  /** Says which session this client holds now (after each attach). */
  describe(session: { name: string; id: string }): void {
    if (this.closed) return;
    const { socketDir, host } = this.options;
    const info: AttachedInfo = { pid: process.pid, startTime: processStartTime(process.pid), host, session: session.name, sessionId: session.id, socket: attachedSocketPath(socketDir, process.pid) };
    const file = infoPath(socketDir, process.pid);
    const temp = `${file}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
      renameSync(temp, file);
    } catch (err) {
      this.options.log(`cannot write ${file}: ${(err as Error).message}; gritty send/receive here will not find this session`);
    }
  }

  /** Stops taking helpers; those still waiting are told why. Removes the socket and its JSON file. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.options.room.close(reason);
    for (const conn of this.helpers) conn.close(new GrittyError('channel-refused', reason));
    this.helpers.clear();
    this.server.close();
    rmSync(infoPath(this.options.socketDir, process.pid), { force: true });
    rmSync(attachedSocketPath(this.options.socketDir, process.pid), { force: true });
  }

  private serve(socket: Socket): void {
    const conn = new Connection(socket);
    this.helpers.add(conn);
    conn.onClose(() => this.helpers.delete(conn));
    this.take(conn).catch((err: unknown) => {
      conn.close(isGrittyError(err) ? err : new GrittyError('internal', 'the attached client failed; see its log'));
      if (!isGrittyError(err)) this.options.log(`a transfer helper failed: ${String(err)}`);
    });
  }

  private async take(conn: Connection): Promise<void> {
    const hello = await conn.expect('hello', REQUEST_TIMEOUT_MS);
    conn.send({ type: 'hello-ack', version: PROTOCOL_VERSION, caps: [], serverId: `attached-${process.pid}`, pid: process.pid, startedAt: this.startedAt });
    if (hello.version !== PROTOCOL_VERSION) throw new GrittyError('version-mismatch', `this gritty client speaks protocol ${PROTOCOL_VERSION}, the helper ${hello.version}; use the same gritty for both`);
    const request = await conn.expect('svc-channel', REQUEST_TIMEOUT_MS);
    if (request.kind !== 'transfer') throw new GrittyError('channel-refused', `an attached client's socket pairs only transfer channels, not ${printable(request.kind)}`);
    const asked = readTransferRequest(request.params);
    this.options.log(`a gritty ${asked.role} on this machine waits for its other half (${printable(asked.about)})`);
    const leave = this.options.room.wait({ ...asked, propose: (peer) => this.propose(conn, asked, peer) });
    conn.onClose(leave);
  }

  /** Offers the helper on `conn` the session's transfer; joins them once it takes it. */
  private async propose(conn: Connection, asked: TransferRequest, peer: SessionWaiter): Promise<boolean> {
    if (conn.isClosed) return false;
    conn.send({ type: 'ok' });
    this.helpers.delete(conn);
    const { socket, rest } = conn.release();
    if (rest.length > 0) socket.unshift(rest);
    socket.on('error', () => undefined);
    try {
      await readOk(socket, REQUEST_TIMEOUT_MS);
    } catch {
      socket.destroy();
      return false;
    }
    // the session's helper waits for this frame: it says the laptop side is there
    peer.channel.write(OK_FRAME);
    void this.join(socket, peer, asked);
    return true;
  }

  private async join(socket: Socket, peer: SessionWaiter, laptop: TransferRequest): Promise<void> {
    const fromSession = peer.role === 'send';
    const about = printable(fromSession ? peer.about : laptop.about);
    const way = fromSession ? 'from the session to gritty receive here' : 'from here to gritty receive in the session';
    this.options.notice(`[gritty] transfer started: ${about} ${way}`);
    this.options.log(`transfer started: ${about} ${way}`);
    // the first failure at either end is the reason both end for
    let failure: string | undefined;
    const failed = (err: Error): void => {
      failure ??= err.message;
    };
    socket.once('error', failed);
    peer.channel.once('error', failed);
    // what arrives from the session is written straight to the socket; what goes to it, read from the socket
    let bytes = 0;
    const writtenBefore = socket.bytesWritten;
    if (!fromSession) socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await splice(socket, peer.channel);
    if (fromSession) bytes = socket.bytesWritten - writtenBefore;
    this.options.notice(
      failure === undefined ? `[gritty] transfer ended: ${about}, ${formatBytes(bytes)} ${fromSession ? 'from the session' : 'to the session'}` : `[gritty] transfer broke off: ${about}: ${printable(failure)}`,
    );
  }
}
