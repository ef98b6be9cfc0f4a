/**
 * The one error vocabulary. A stable kebab-case `code` crosses the wire as
 * `{code, message}`; only the CLI turns it into a one-line message and exit code.
 */
export type ErrorCode =
  | 'bad-frame'
  | 'frame-too-large'
  | 'bad-message'
  | 'version-mismatch'
  | 'no-such-session'
  | 'invalid-name'
  | 'name-taken'
  | 'no-server'
  | 'server-gone'
  | 'server-start-failed'
  | 'unsafe-socket-dir'
  | 'spawn-failed'
  | 'taken-over'
  | 'self-attach'
  | 'not-a-terminal'
  | 'bad-target'
  | 'bad-usage'
  | 'connection-lost'
  | 'timeout'
  | 'tunnel-failed'
  | 'channel-refused'
  | 'channel-closed'
  | 'port-busy'
  | 'unsafe-path'
  | 'disk-full'
  | 'transfer-failed'
  | 'internal';

export class GrittyError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GrittyError';
    this.code = code;
  }
}

export function isGrittyError(err: unknown, code?: ErrorCode): err is GrittyError {
  return err instanceof GrittyError && (code === undefined || err.code === code);
}

export function assertNever(value: never): never {
  throw new GrittyError('internal', `unhandled case: ${JSON.stringify(value)}`);
}
