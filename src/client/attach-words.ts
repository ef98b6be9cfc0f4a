import { assertNever, isGrittyError } from '../relay/errors.js';
import type { MessageOf, SessionInfo } from '../relay/messages.js';
import { printable } from '../relay/printable.js';
import type { AttachOptions } from './attach.js';
import { nameTakenError } from './target.js';

/** What the attach loop tells the person: how a session ended, why a client was let go, the ~# status. */

export type Ending = { code: number; message: string | undefined };

export function exitEnding(name: string | undefined, msg: MessageOf<'exit'>): Ending {
  const how = msg.signal !== undefined ? ` on signal ${msg.signal}` : msg.code !== 0 ? ` with status ${msg.code}` : '';
  return { code: msg.code, message: `[session ${name} exited${how}]` };
}

/** How a `detached` notice ends the client, or undefined for an eviction, which it answers by reconnecting. */
export function detachedEnding(host: string, name: string | undefined, msg: MessageOf<'detached'>): Ending | undefined {
  switch (msg.reason) {
    case 'taken-over':
      return { code: 0, message: `[detached: session ${name} was taken over by ${msg.by ?? 'another client'}]` };
    case 'killed':
      return { code: 0, message: `[session ${name} was killed]` };
    case 'server-shutdown':
      return { code: 1, message: `[the gritty server on ${host} shut down; session ${name} is gone]` };
    case 'evicted':
      return undefined;
    default:
      return assertNever(msg.reason);
  }
}

/** Why the attach loop gave up, for the line it leaves on the terminal. */
export function fatalText(err: unknown, options: Pick<AttachOptions, 'first' | 'host'>, session: SessionInfo | undefined): string {
  const { first, host } = options;
  if (isGrittyError(err, 'name-taken') && first.kind === 'new' && first.spec.name !== undefined) return nameTakenError(host, first.spec.name, err).message;
  if (session !== undefined && (isGrittyError(err, 'no-server') || isGrittyError(err, 'server-gone'))) {
    return `[the gritty server on ${host} is gone, and session ${session.name} with it; start a new one with gritty new ${host}:NAME]`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** "session NAME", or "the session" before its name is known. */
export function sessionLabel(first: AttachOptions['first'], session: SessionInfo | undefined): string {
  const name = session?.name ?? (first.kind === 'attach' ? first.target : first.spec.name);
  return name === undefined || name === '-' ? 'the session' : `session ${name}`;
}

export interface LinkFigures {
  where: string;
  id: string | undefined;
  connected: boolean;
  rttMs: number | undefined;
  received: number;
  lost: number;
  offset: number;
}

/** The ~# line. */
export function statusText(f: LinkFigures): string {
  const rtt = f.rttMs === undefined ? 'not measured yet' : `${f.rttMs} ms`;
  const link = f.connected ? 'connected' : 'reconnecting';
  return `[gritty] ${f.where} (id ${printable(f.id ?? '?')}) · ${link} · RTT ${rtt} · ${f.received} bytes received · ${f.lost} bytes skipped · offset ${f.offset}`;
}
