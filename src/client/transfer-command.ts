import type { Duplex } from 'node:stream';
import type { TransferResult } from '../forward/transfer/events.js';
import { GrittyError } from '../relay/errors.js';
import type { ReusedReads } from '../relay/reused-reads.js';
import type { CliContext, Options } from './context.js';
import { untilStopped } from './stop-signal.js';
import { parseTarget } from './target.js';
import { pairInSession, pairOnLaptop, type Paired } from './transfer-pairing.js';
import type { TransferRequest } from './transfer-room.js';

/** How long a helper waits for its other half by default: time to switch to the other machine and type. */
const DEFAULT_TIMEOUT_S = 300;

/** The options send and receive share. */
export const PAIRING_OPTIONS = [
  { flags: '--session <host:session>', description: 'pair through this attached session only (on the laptop; default: every attached one, first match wins)' },
  { flags: '--timeout <seconds>', description: `how long to wait for the other side (default ${DEFAULT_TIMEOUT_S})` },
];

export const PAIRING_DETAILS = `
One side runs inside a gritty session, the other on the laptop attached to it, in
either order: whichever runs first waits (--timeout) for the other. Inside a session
(GRITTY_SOCK set) it pairs through that session; on the laptop through the attached
gritty clients (each attached client offers its session), or only the one named by
--session. The data travels on the session's own link: a reconnect in the middle
loses nothing, a takeover or detach stops it. Exit status 0 only when every file
arrived intact.`;

function timeoutMs(options: Options): number {
  if (options.timeout === undefined) return DEFAULT_TIMEOUT_S * 1000;
  const seconds = Number(options.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new GrittyError('bad-usage', `--timeout takes a number of seconds, not ${JSON.stringify(options.timeout)}`);
  return seconds * 1000;
}

/** In a session without --session: its service socket; otherwise (on the laptop, or --session given) the attached clients. */
function pair(ctx: CliContext, options: Options, request: TransferRequest): Promise<Paired> {
  const pairing = { request, who: ctx.anonymous, timeoutMs: timeoutMs(options), waiting: (line: string) => process.stderr.write(`gritty ${request.role}: ${line}\n`) };
  const inside = process.env.GRITTY_SOCK;
  if (options.session === undefined && inside !== undefined && inside !== '') return pairInSession(inside, pairing);
  let only: { host: string; session: string } | undefined;
  if (typeof options.session === 'string') {
    const target = parseTarget(options.session);
    if (target.session === undefined) throw new GrittyError('bad-target', `--session takes host:session, not ${JSON.stringify(options.session)}`);
    only = { host: target.host, session: target.session };
  }
  return pairOnLaptop(ctx.paths.socketDir, only, pairing);
}

/**
 * Pairs, then runs `transfer` on the stream. Ctrl-C (or SIGTERM, SIGHUP) cancels it by
 * closing the stream, so a receiver on either side removes its partial file.
 */
export async function runPairedTransfer(ctx: CliContext, options: Options, request: TransferRequest, transfer: (stream: Duplex, reads: ReusedReads) => Promise<TransferResult>): Promise<number> {
  const { stream, reads } = await pair(ctx, options, request);
  const stop = untilStopped();
  void stop.then(() => stream.destroy());
  const running = transfer(stream, reads);
  // released paused by the framing; the transfer's reader is in place now, so nothing read is dropped
  stream.resume();
  const result = await running;
  stream.destroy();
  if (result.error !== undefined) throw result.error;
  return result.status;
}
