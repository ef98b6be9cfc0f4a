import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Connection } from '../relay/connection.js';
import { GrittyError, isGrittyError } from '../relay/errors.js';
import { CLIENT_CAPABILITIES, PROTOCOL_VERSION } from '../relay/messages.js';
import { printable } from '../relay/printable.js';
import { ReusedReads } from '../relay/reused-reads.js';
import { checkPrivateDir } from '../relay/secure-socket.js';
import { attachedClients, type AttachedInfo } from './attached-socket.js';
import { HELLO_TIMEOUT_MS, connectSocket, type Identity } from './daemon-client.js';
import { OK_FRAME, readOk } from './one-frame.js';
import { pairsWith, type TransferRequest } from './transfer-room.js';

/** The attached client answers a transfer request at once (it only queues it). */
const GRANT_TIMEOUT_MS = 30_000;

export interface PairOptions {
  request: TransferRequest;
  who: Identity;
  /** How long to wait for the other half; the message on timeout names it. */
  timeoutMs: number;
  /** Told once what is being waited for, when it has to wait. */
  waiting(line: string): void;
}

export interface Paired {
  /** The transfer's byte stream. */
  stream: Socket;
  /** Its reads, for the transfer to take straight from their reused buffer. */
  reads: ReusedReads;
  /** Where the other half runs, for messages: "the laptop", "devbox:work". */
  peer: string;
}

/**
 * Inside a session: asks the session's service socket (GRITTY_SOCK) for a `transfer`
 * channel to the attached laptop. `ok` says the laptop has it waiting; a second `ok`,
 * written by the laptop into the channel, says a helper there took it.
 */
export async function pairInSession(socketPath: string, options: PairOptions): Promise<Paired> {
  checkPrivateDir(dirname(socketPath));
  const { role } = options.request;
  const { socket, reads } = await ask(socketPath, options);
  try {
    await readOk(socket, GRANT_TIMEOUT_MS);
    options.waiting(`waiting up to ${seconds(options.timeoutMs)} s for gritty ${pairsWith(role)} on the laptop attached to this session (Ctrl-C stops)`);
    await readOk(socket, options.timeoutMs).catch((err: unknown) => {
      if (!isGrittyError(err, 'timeout')) throw err;
      throw new GrittyError('timeout', `nobody ran gritty ${pairsWith(role)} on the laptop within ${seconds(options.timeoutMs)} s (--timeout); run it there, then gritty ${role} here again`);
    });
  } catch (err) {
    socket.destroy();
    throw inSessionError(err);
  }
  return { stream: socket, reads, peer: 'the laptop' };
}

function inSessionError(err: unknown): unknown {
  if (isGrittyError(err, 'channel-refused') && err.message.startsWith('no client is attached')) {
    return new GrittyError('channel-refused', `${err.message}: gritty send/receive pair through the attached laptop; attach from the laptop (gritty attach HOST:NAME) and try again`, { cause: err });
  }
  if (!isGrittyError(err, 'connection-lost')) return err;
  return new GrittyError('connection-lost', 'the laptop went away before the transfer began (it detached, was taken over or ended); attach again and retry', { cause: err });
}

/**
 * On the laptop: offers the transfer to the attached clients (those of `only`, when
 * given) through their attached sockets, all at once; the first that pairs wins and
 * the others are let go.
 */
export async function pairOnLaptop(socketDir: string, only: { host: string; session: string } | undefined, options: PairOptions): Promise<Paired> {
  const { role } = options.request;
  const clients = attachedClients(socketDir).filter((c) => only === undefined || (c.host === only.host && (c.session === only.session || c.sessionId === only.session)));
  if (clients.length === 0) {
    const what = only === undefined ? 'no gritty client is attached to a session on this machine' : `no gritty client on this machine is attached to ${printable(`${only.host}:${only.session}`)}`;
    throw new GrittyError('no-such-session', `${what}; attach one (gritty attach HOST:NAME), run gritty ${pairsWith(role)} in that session, and gritty ${role} here`);
  }
  checkPrivateDir(socketDir);
  const offers = await Promise.allSettled(clients.map((c) => ask(c.socket, options)));
  const open = offers.flatMap((o, i) => (o.status === 'fulfilled' ? [{ ...o.value, name: label(clients[i]!) }] : []));
  if (open.length === 0) throw (offers[0] as PromiseRejectedResult).reason;
  const names = open.map((o) => o.name).join(', ');
  options.waiting(`waiting up to ${seconds(options.timeoutMs)} s for gritty ${pairsWith(role)} in ${names} (Ctrl-C stops)`);
  const winner = await firstPaired(open, options.timeoutMs).catch((err: unknown) => {
    for (const entry of open) entry.socket.destroy();
    if (isGrittyError(err, 'timeout')) {
      throw new GrittyError('timeout', `nobody ran gritty ${pairsWith(role)} in ${names} within ${seconds(options.timeoutMs)} s (--timeout); run it there, then gritty ${role} here again`);
    }
    if (isGrittyError(err, 'connection-lost')) throw new GrittyError('connection-lost', 'the attached gritty client went away before a transfer began; attach again and retry', { cause: err });
    throw err;
  });
  for (const other of open) if (other !== winner) other.socket.destroy();
  winner.socket.write(OK_FRAME);
  return { stream: winner.socket, reads: winner.reads, peer: winner.name };
}

/** Connects, says hello and asks for a transfer; the socket comes back paused, with nothing of the answer read. */
async function ask(path: string, options: PairOptions): Promise<{ socket: Socket; reads: ReusedReads }> {
  const reads = new ReusedReads();
  const conn = await connectSocket(path, { reusedReads: reads });
  try {
    await handshake(conn, options.who);
    conn.send({ type: 'svc-channel', kind: 'transfer', params: { ...options.request } });
  } catch (err) {
    conn.close();
    throw err;
  }
  const { socket, rest } = conn.release();
  // nothing is sent after hello-ack before the answer, so rest is empty; kept should that change
  if (rest.length > 0) socket.unshift(rest);
  socket.on('error', () => undefined);
  return { socket, reads };
}

/** The first socket whose client proposes a pairing (`ok`); a refusal drops only that one. */
function firstPaired<T extends { socket: Socket }>(open: T[], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let left = open.length;
    let settled = false;
    const timer = setTimeout(() => settle(() => reject(new GrittyError('timeout', 'timed out'))), timeoutMs);
    function settle(outcome: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    }
    for (const entry of open) {
      readOk(entry.socket, timeoutMs + GRANT_TIMEOUT_MS).then(
        () => settle(() => resolve(entry)),
        (err: unknown) => {
          left -= 1;
          if (left === 0) settle(() => reject(err));
        },
      );
    }
  });
}

async function handshake(conn: Connection, who: Identity): Promise<void> {
  conn.send({ type: 'hello', version: PROTOCOL_VERSION, caps: [...CLIENT_CAPABILITIES], deviceId: who.deviceId, clientName: who.clientName });
  await conn.expect('hello-ack', HELLO_TIMEOUT_MS);
}

function label(client: AttachedInfo): string {
  return printable(`${client.host}:${client.session}`);
}

function seconds(ms: number): string {
  return String(ms / 1000);
}
