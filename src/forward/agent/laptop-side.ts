import { createConnection, type Socket } from 'node:net';
import { printable } from '../../relay/printable.js';
import { readParams, refuse } from '../params.js';
import type { ChannelAcceptor } from '../seam.js';
import { splice } from '../splice.js';

const AGENT_CONNECT_TIMEOUT_MS = 2_000; // a local Unix socket answers at once; this only bounds a wedged agent

/**
 * Accepts `agent` channels by connecting to the laptop's own ssh-agent
 * (`agentSocket`, the client's $SSH_AUTH_SOCK). With no agent, or one that cannot be
 * reached, the channel is refused with the reason, so the session's ssh fails fast.
 */
export function agentAcceptor(agentSocket: string | undefined): ChannelAcceptor {
  return async (params) => {
    readParams(params, {});
    if (agentSocket === undefined || agentSocket === '') throw refuse('the laptop has no ssh-agent (SSH_AUTH_SOCK is not set where gritty attach runs)');
    const agent = await connectAgent(agentSocket);
    return (channel) => void splice(agent, channel);
  };
}

function connectAgent(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path, allowHalfOpen: true });
    const fail = (err: Error): void => {
      socket.destroy();
      reject(refuse(`cannot reach the laptop's ssh-agent at ${printable(path)}: ${err.message}`, err));
    };
    socket.setTimeout(AGENT_CONNECT_TIMEOUT_MS, () => fail(new Error(`no answer within ${AGENT_CONNECT_TIMEOUT_MS / 1000} s`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}
