import type { Socket } from 'node:net';
import { connectLoopback } from '../loopback.js';
import { port, readParams, refuse } from '../params.js';
import type { ChannelAcceptor } from '../seam.js';
import { splice } from '../splice.js';

/**
 * The session host's half of an `oauth-callback` channel: connects to the program
 * waiting for the sign-in on this host's loopback (127.0.0.1, else ::1) at the port
 * its redirect named. Refused when nothing listens there any more.
 */
export function oauthCallbackAcceptor(): ChannelAcceptor {
  return async (params) => {
    const { port: target } = readParams(params, { port: port() });
    let socket: Socket;
    try {
      socket = await connectLoopback('127.0.0.1', target).catch(() => connectLoopback('::1', target));
    } catch (err) {
      throw refuse(`nothing listens on port ${target} on the session host any more (${(err as Error).message}); start the sign-in again`, err);
    }
    return (channel) => void splice(socket, channel);
  };
}
