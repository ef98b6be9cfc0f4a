import { GrittyError, isGrittyError } from '../relay/errors.js';
import { isPrintable, printable } from '../relay/printable.js';
import { object, type InferShape, type Field, type Shape } from '../relay/schema.js';
import type { ChannelParams } from './seam.js';

/** A TCP port a person can name: 1–65535 (0 would mean "any port"). */
export type Port = number & { readonly __port: unique symbol };

export const MAX_PORT = 65_535;

export function isPort(value: unknown): value is Port {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_PORT;
}

export function port(): Field<Port> {
  return {
    parse(value, path) {
      if (!isPort(value)) throw new GrittyError('bad-message', `field ${path}: expected a port 1-${MAX_PORT}, got ${describe(value)}`);
      return value;
    },
  };
}

/** A string with no control characters, at most `maxChars` long. */
export function text(maxChars: number): Field<string> {
  return {
    parse(value, path) {
      if (typeof value !== 'string') throw new GrittyError('bad-message', `field ${path}: expected a string, got ${describe(value)}`);
      if (value.length > maxChars) throw new GrittyError('bad-message', `field ${path}: longer than ${maxChars} characters`);
      if (!isPrintable(value)) throw new GrittyError('bad-message', `field ${path}: holds control characters`);
      return value;
    },
  };
}

/** Channel params from a peer, checked against `shape`; anything wrong is a refusal naming the field. */
export function readParams<S extends Shape>(params: ChannelParams, shape: S): InferShape<S> {
  try {
    return object(shape).parse(params, '');
  } catch (err) {
    if (isGrittyError(err, 'bad-message')) throw refuse(`bad channel params: ${err.message}`);
    throw err;
  }
}

/** The one way a forwarding half says no: the reason goes back to the opener. */
export function refuse(reason: string, cause?: unknown): GrittyError {
  return new GrittyError('channel-refused', reason, { cause });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${printable(value.slice(0, 32))}"${value.length > 32 ? '…' : ''}`;
  if (typeof value === 'number') return String(value);
  return value === undefined ? 'nothing' : typeof value;
}
