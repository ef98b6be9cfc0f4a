import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECHO_SCRIPT, KEY } from './echo.js';
import { freePort, ForwardSession, shellQuote, STREAM_CONSUMER, startStreamServer } from './forward-world.js';
import type { OuterTerminal } from './outer-terminal.js';
import type { SshHarness } from './sshd-harness.js';
import { nowMs, quantile, sleep, waitFor } from './stats.js';

/**
 * Keystroke echo while a channel is saturated (issues 7 and 8): a gritty session over
 * ssh runs `gritty lf` to the laptop's stream server and, in the background, a
 * consumer that reads the forwarded stream flat out; in the foreground, echo.ts's raw
 * `cat`. Echo is timed as echo.ts does, in rounds that alternate "idle" (the stream
 * server SIGSTOPped and the stream drained, the channel open but quiet) and
 * "saturated" (the stream flowing), so outside load falls on both alike.
 */

export interface ForwardEchoOptions {
  /** Samples per phase. */
  samples: number;
  warmup: number;
  gapMs: number;
}

export interface EchoFigures {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface ForwardEchoResult {
  idle: EchoFigures;
  saturated: EchoFigures;
  /** The stream's rate while the saturated samples were taken, bytes per second. */
  streamBytesPerSec: number;
}

const ROUNDS = 10;
/** The stream counts as stopped when the consumer's count has not moved this long. */
const STALLED_MS = 500;
/** The stream counts as flowing once this much more has arrived since it was resumed. */
const FLOWING_BYTES = 4 * 1024 * 1024;

export function figures(samples: number[]): EchoFigures {
  return { samples: samples.length, p50Ms: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99), meanMs: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/** One keystroke's echo round trip through `term`, ms, then a pause of about `gapMs` so the next is a lone keystroke too. */
export async function echoSample(term: OuterTerminal, gapMs: number): Promise<number> {
  const echoed = term.waitFor(KEY, 10_000);
  const sent = nowMs();
  term.write(KEY);
  const ms = (await echoed) - sent;
  await sleep(gapMs * (0.5 + Math.random()));
  return ms;
}

export async function measureForwardEcho(h: SshHarness, options: ForwardEchoOptions, log: (text: string) => void): Promise<ForwardEchoResult> {
  const server = await startStreamServer();
  const lfPort = await freePort();
  const progressFile = join(h.scratch, 'forward-echo-progress');
  let lastSeen = 0;
  const progress = (): number => {
    const text = existsSync(progressFile) ? readFileSync(progressFile, 'utf8') : '';
    lastSeen = Math.max(lastSeen, Number(text) || 0);
    return lastSeen;
  };
  const flowing = async (): Promise<void> => {
    const from = progress();
    await waitFor(() => progress() >= from + FLOWING_BYTES, 60_000, 'the forwarded stream to flow');
  };
  const stalled = async (): Promise<void> => {
    let value = progress();
    let since = Date.now();
    await waitFor(
      () => {
        if (progress() !== value) [value, since] = [progress(), Date.now()];
        return Date.now() - since >= STALLED_MS;
      },
      30_000,
      'the forwarded stream to drain',
    );
  };
  let session: ForwardSession | undefined;
  try {
    session = await ForwardSession.open(
      h,
      'forward-echo',
      lfPort,
      server.port,
      (marked) => `${marked(`${shellQuote(process.execPath)} ${shellQuote(STREAM_CONSUMER)} flat ${lfPort} ${shellQuote(progressFile)}`)} >/dev/null 2>&1 & ${ECHO_SCRIPT}`,
    );
    const term = session.term;
    await flowing();
    const sample = (): Promise<number> => echoSample(term, options.gapMs);
    for (let i = 0; i < options.warmup; i++) await sample();
    const idle: number[] = [];
    const saturated: number[] = [];
    let streamed = 0;
    let streamingMs = 0;
    const perRound = Math.ceil(options.samples / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      server.process.kill('SIGSTOP');
      await stalled();
      for (let i = 0; i < perRound; i++) idle.push(await sample());
      server.process.kill('SIGCONT');
      await flowing();
      const [fromBytes, fromMs] = [progress(), nowMs()];
      for (let i = 0; i < perRound; i++) saturated.push(await sample());
      streamed += progress() - fromBytes;
      streamingMs += nowMs() - fromMs;
    }
    const result = { idle: figures(idle), saturated: figures(saturated), streamBytesPerSec: (streamed / streamingMs) * 1000 };
    log(
      `echo with a saturated forward: p50 ${result.saturated.p50Ms.toFixed(3)} ms, p99 ${result.saturated.p99Ms.toFixed(3)} ms (stream ${(result.streamBytesPerSec / 2 ** 20).toFixed(1)} MB/s); idle p50 ${result.idle.p50Ms.toFixed(3)} ms, p99 ${result.idle.p99Ms.toFixed(3)} ms`,
    );
    return result;
  } finally {
    server.process.kill('SIGCONT');
    session?.close();
    server.stop();
  }
}
