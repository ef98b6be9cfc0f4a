import { GrittyError } from '../../relay/errors.js';
import { printable } from '../../relay/printable.js';
import { isPort, MAX_PORT, type Port } from '../params.js';

/** A forward as `gritty lf|rf` take it: `PORT` (the same on both ends) or `LISTEN:TARGET`. */
export interface ForwardSpec {
  listen: Port;
  target: Port;
}

export function parseForwardSpec(spec: string): ForwardSpec {
  const parts = spec.split(':');
  if (parts.length > 2) throw bad(spec, 'expected PORT or LISTEN:TARGET');
  const listen = parsePort(parts[0]!, spec, 'the listening port');
  const target = parts.length === 2 ? parsePort(parts[1]!, spec, 'the target port') : listen;
  return { listen, target };
}

function parsePort(text: string, spec: string, what: string): Port {
  if (!/^[0-9]{1,5}$/.test(text)) return bad(spec, `${what} must be a number from 1 to ${MAX_PORT}`);
  const value = Number(text);
  if (!isPort(value)) return bad(spec, `${what} ${value} is out of range (1 to ${MAX_PORT})`);
  return value;
}

function bad(spec: string, why: string): never {
  throw new GrittyError('bad-usage', `bad forward "${printable(spec.slice(0, 64))}": ${why}, e.g. 8080 or 8080:3000`);
}
