import { GrittyError } from './errors.js';

/**
 * Field checkers: each turns an `unknown` from the wire into a typed value or throws
 * a `bad-message` GrittyError naming the field. Message types are derived from them,
 * so the validator and the TypeScript types cannot drift apart.
 */
export interface Field<T> {
  parse(value: unknown, path: string): T;
}

export type Infer<F> = F extends Field<infer T> ? T : never;
export type Shape = Record<string, Field<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] };
/** Fields whose checker admits undefined become optional properties. */
export type InferShape<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

function fail(path: string, wanted: string, value: unknown): never {
  const got = value === null ? 'nil' : Buffer.isBuffer(value) ? 'binary' : Array.isArray(value) ? 'array' : typeof value;
  throw new GrittyError('bad-message', `field ${path}: expected ${wanted}, got ${got}`);
}

export function str(maxChars: number): Field<string> {
  return {
    parse(value, path) {
      if (typeof value !== 'string') fail(path, 'a string', value);
      if (value.length > maxChars) throw new GrittyError('bad-message', `field ${path}: longer than ${maxChars} characters`);
      return value;
    },
  };
}

export function bin(maxBytes: number): Field<Buffer> {
  return {
    parse(value, path) {
      if (!(value instanceof Uint8Array)) fail(path, 'binary', value);
      if (value.length > maxBytes) throw new GrittyError('bad-message', `field ${path}: longer than ${maxBytes} bytes`);
      return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
    },
  };
}

export function uint(max = Number.MAX_SAFE_INTEGER): Field<number> {
  return {
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(path, 'an unsigned integer', value);
      if (value > max) throw new GrittyError('bad-message', `field ${path}: ${value} exceeds ${max}`);
      return value;
    },
  };
}

/**
 * An unsigned integer above `max` is read as `max`, one below `min` as `min`: for sizes
 * where a usable value beats refusing the request.
 */
export function clampedUint(max: number, min = 0): Field<number> {
  return {
    parse(value, path) {
      return Math.max(min, Math.min(uint().parse(value, path), max));
    },
  };
}

export function int(): Field<number> {
  return {
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, 'an integer', value);
      return value;
    },
  };
}

export function num(): Field<number> {
  return {
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a number', value);
      return value;
    },
  };
}

export function bool(): Field<boolean> {
  return {
    parse(value, path) {
      if (typeof value !== 'boolean') fail(path, 'a boolean', value);
      return value;
    },
  };
}

export function oneOf<const L extends readonly string[]>(...literals: L): Field<L[number]> {
  return {
    parse(value, path) {
      if (typeof value !== 'string' || !literals.includes(value)) fail(path, `one of ${literals.join('|')}`, value);
      return value as L[number];
    },
  };
}

/** nil and a missing key both read as undefined. */
export function optional<T>(field: Field<T>): Field<T | undefined> {
  return {
    parse(value, path) {
      return value === undefined || value === null ? undefined : field.parse(value, path);
    },
  };
}

export function arrayOf<T>(field: Field<T>, maxItems: number): Field<T[]> {
  return {
    parse(value, path) {
      if (!Array.isArray(value)) fail(path, 'an array', value);
      if (value.length > maxItems) throw new GrittyError('bad-message', `field ${path}: more than ${maxItems} items`);
      return value.map((item, i) => field.parse(item, `${path}[${i}]`));
    },
  };
}

export function stringMap(maxEntries: number, maxChars: number): Field<Record<string, string>> {
  return {
    parse(value, path) {
      if (!isPlainObject(value)) fail(path, 'a map', value);
      const entries = Object.entries(value);
      if (entries.length > maxEntries) throw new GrittyError('bad-message', `field ${path}: more than ${maxEntries} entries`);
      const out: Record<string, string> = {};
      for (const [key, item] of entries) out[key] = str(maxChars).parse(item, `${path}.${key}`);
      return out;
    },
  };
}

export function object<S extends Shape>(shape: S): Field<InferShape<S>> {
  return {
    parse(value, path) {
      if (!isPlainObject(value)) fail(path, 'a map', value);
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(shape)) {
        const parsed = field.parse(value[key], path === '' ? key : `${path}.${key}`);
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as InferShape<S>;
    },
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export type Scalar = string | number | boolean;

/** A flat map of short scalars: channel parameters. Keys are bounded like values. */
export function scalarMap(maxEntries: number, maxChars: number): Field<Record<string, Scalar>> {
  return {
    parse(value, path) {
      if (!isPlainObject(value)) fail(path, 'a map', value);
      const entries = Object.entries(value);
      if (entries.length > maxEntries) throw new GrittyError('bad-message', `field ${path}: more than ${maxEntries} entries`);
      const out: Record<string, Scalar> = {};
      for (const [key, item] of entries) {
        if (key.length > 64) throw new GrittyError('bad-message', `field ${path}: a key is longer than 64 characters`);
        if (typeof item === 'string') out[key] = str(maxChars).parse(item, `${path}.${key}`);
        else if (typeof item === 'boolean') out[key] = item;
        else if (typeof item === 'number' && Number.isFinite(item)) out[key] = item;
        else fail(`${path}.${key}`, 'a string, number or boolean', item);
      }
      return out;
    },
  };
}
