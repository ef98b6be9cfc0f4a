import { GrittyError } from '../relay/errors.js';
import { LOCAL_HOST, checkHostName } from '../relay/names.js';

/** The connection name `connect` gives a destination: its host name, without user, port or scheme. */
export function connectionName(destination: string): string {
  let host = destination.replace(/^ssh:\/\//, '');
  host = host.slice(host.lastIndexOf('@') + 1);
  host = host.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/:\d+$/, '');
  return checkConnectionName(host.replaceAll(':', '-'));
}

export function checkConnectionName(name: string): string {
  if (name === LOCAL_HOST) throw new GrittyError('invalid-name', `${LOCAL_HOST} is reserved for this machine's own server; pick another name with -n`);
  return checkHostName(name);
}
