import { GrittyError } from './errors.js';
import { MAX_NAME_CHARS } from './messages.js';

/** Session names: letters, digits and . _ - + @, not starting with - or . (so `-` stays "last"). */
const SESSION_NAME = /^[A-Za-z0-9_+@][A-Za-z0-9._+@-]*$/;
/** Connection (host) names: what ssh host aliases use. */
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export const LAST_SESSION = '-';
export const LOCAL_HOST = 'local';

export function checkSessionName(name: string): string {
  if (name === '') throw new GrittyError('invalid-name', 'a session name cannot be empty');
  if (name.length > MAX_NAME_CHARS) {
    throw new GrittyError('invalid-name', `session name is ${name.length} characters; the limit is ${MAX_NAME_CHARS}`);
  }
  if (!SESSION_NAME.test(name)) {
    throw new GrittyError(
      'invalid-name',
      `invalid session name ${JSON.stringify(name)}: use letters, digits and . _ - + @, not starting with - or .`,
    );
  }
  return name;
}

export function checkHostName(name: string): string {
  if (name === '' || name.length > MAX_NAME_CHARS || !HOST_NAME.test(name)) {
    throw new GrittyError(
      'invalid-name',
      `invalid host name ${JSON.stringify(name)}: use letters, digits and . _ -, as in an ssh host alias`,
    );
  }
  return name;
}
