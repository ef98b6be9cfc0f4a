import { GrittyError } from '../relay/errors.js';
import { LAST_SESSION, LOCAL_HOST, checkHostName, checkSessionName } from '../relay/names.js';

/** `host:session`, `host` alone, or `-`; `local` is this machine's daemon. */
export interface Target {
  host: string;
  /** Undefined when only the host was given. */
  session: string | undefined;
}

export function parseTarget(text: string): Target {
  if (text === LAST_SESSION) return { host: LOCAL_HOST, session: LAST_SESSION };
  const colon = text.indexOf(':');
  if (colon < 0) return { host: checkHostName(text), session: undefined };
  const host = text.slice(0, colon);
  const session = text.slice(colon + 1);
  if (host === '') throw new GrittyError('bad-target', `${JSON.stringify(text)} has no host before the colon; write local:${session} for this machine`);
  checkHostName(host);
  if (session === '') throw new GrittyError('bad-target', `${JSON.stringify(text)} names no session after the colon; write ${host} alone for a new numbered session`);
  if (session !== LAST_SESSION) checkSessionName(session);
  return { host, session };
}

export function formatTarget(host: string, session: string): string {
  return `${host}:${session}`;
}

/**
 * The daemon cannot know what this client calls its host, and a bare session name
 * would be read as a host; so the client names the attach that works.
 */
export function nameTakenError(host: string, name: string, cause: unknown): GrittyError {
  return new GrittyError('name-taken', `a session named ${name} already exists on ${host}; attach to it with gritty attach ${formatTarget(host, name)}, or pick another name`, { cause });
}
