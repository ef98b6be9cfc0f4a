import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ChannelParams } from '../relay/channel.js';
import { GrittyError } from '../relay/errors.js';
import { checkPrivateDir } from '../relay/secure-socket.js';
import { HELLO_TIMEOUT_MS, connectSocket, type Identity } from './daemon-client.js';
import { CLIENT_CAPABILITIES, PROTOCOL_VERSION } from '../relay/messages.js';

/** The laptop has this long to accept or refuse a channel (it may bind a port, start a browser). */
const GRANT_TIMEOUT_MS = 30_000;

/** The session's service socket, for a helper run inside a session; a clear error anywhere else. */
export function serviceSocket(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = env.GRITTY_SOCK;
  if (path === undefined || path === '') {
    throw new GrittyError('bad-usage', `gritty ${command} works inside a gritty session (GRITTY_SOCK is not set); run it in a shell that gritty new or gritty attach opened`);
  }
  return path;
}

/**
 * Opens a channel to the laptop attached to this session, through the session's
 * service socket: resolves to the channel as a plain socket, or rejects with
 * `channel-refused` and the reason (no client attached, the laptop said no).
 */
export async function openServiceChannel(path: string, who: Identity, kind: string, params: ChannelParams): Promise<Socket> {
  checkPrivateDir(dirname(path));
  const conn = await connectSocket(path);
  try {
    conn.send({ type: 'hello', version: PROTOCOL_VERSION, caps: [...CLIENT_CAPABILITIES], deviceId: who.deviceId, clientName: who.clientName });
    await conn.expect('hello-ack', HELLO_TIMEOUT_MS);
    conn.send({ type: 'svc-channel', kind, params });
    const reply = await conn.receive(GRANT_TIMEOUT_MS);
    if (reply.type !== 'ok') throw new GrittyError('bad-message', `expected ok, got ${reply.type}`);
  } catch (err) {
    conn.close();
    throw err;
  }
  const { socket, rest } = conn.release();
  if (rest.length > 0) socket.unshift(rest);
  return socket;
}
