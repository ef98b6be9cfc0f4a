import type { Logger } from '../relay/log.js';
import type { SessionSpec } from '../relay/messages.js';
import type { Session } from './session.js';
import type { SessionTable } from './session-table.js';

/** Who made a request: a printable name for people and logs, and what its client can do. */
export interface Peer {
  by: string;
  caps: readonly string[];
}

/** What a request handler may use of the daemon. */
export interface DaemonContext {
  readonly sessions: SessionTable;
  readonly log: Logger;
  /** Spawns a session; throws GrittyError (`name-taken`, `invalid-name`, `spawn-failed`). */
  createSession(spec: SessionSpec): Session;
  /** Ends every session; resolves with the pids of shells that outlived SIGKILL (none, normally). */
  endSessions(): Promise<number[]>;
  /** Ends every session, then the daemon. */
  shutdown(): void;
}
