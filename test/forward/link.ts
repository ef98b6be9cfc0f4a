import { execFile } from 'node:child_process';
import { laptopForwarding, type LaptopForwardOptions, type LaptopForwarding } from '../../src/forward/laptop.js';
import { OAUTH_IDLE_TIMEOUT_MS, OAUTH_TIMEOUT_MS } from '../../src/forward/open/oauth-listener.js';
import { SWITCHES_ON } from '../../src/forward/policy.js';
import { RemoteForwardTargets } from '../../src/forward/port/rf.js';
import { sessionForwarding } from '../../src/forward/session.js';
import { channelPair, type ChannelPair } from '../helpers/channel-pair.js';

/**
 * Both forwarding sides of one session joined as the mux will join them, each
 * direction through real socket pairs: `toLaptop` is the session's OpenChannel,
 * `toSession` the laptop's. Both sides' refusals land in the logs.
 */
export interface Link {
  laptop: LaptopForwarding;
  toLaptop: ChannelPair;
  toSession: ChannelPair;
  targets: RemoteForwardTargets;
  laptopLog: string[];
  sessionLog: string[];
  close(): Promise<void>;
}

export async function link(options: Partial<Omit<LaptopForwardOptions, 'open' | 'log'>> = {}): Promise<Link> {
  const laptopLog: string[] = [];
  const sessionLog: string[] = [];
  const targets = new RemoteForwardTargets();
  const toSession = await channelPair(sessionForwarding({ targets, log: (line) => sessionLog.push(line), now: options.now }));
  const laptop = laptopForwarding({
    switches: SWITCHES_ON,
    agentSocket: undefined,
    openCommand: undefined,
    oauth: { flowMs: OAUTH_TIMEOUT_MS, idleMs: OAUTH_IDLE_TIMEOUT_MS },
    ...options,
    open: (kind, params) => toSession.open(kind, params),
    log: (line) => laptopLog.push(line),
  });
  const toLaptop = await channelPair(laptop.accept);
  return {
    laptop,
    toLaptop,
    toSession,
    targets,
    laptopLog,
    sessionLog,
    close: async () => {
      await laptop.close();
      await Promise.all([toLaptop.close(), toSession.close()]);
    },
  };
}

export interface Ran {
  /** Exit code, or the signal that ended it. */
  exit: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking the event loop (the socket it talks to lives in this process). */
export function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const failure = err as (Error & { code?: number | string; signal?: string }) | null;
      resolve({ exit: failure === null ? 0 : (failure.signal ?? failure.code ?? -1), stdout, stderr });
    });
  });
}
