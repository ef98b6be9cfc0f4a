import type { Connection } from '../../relay/connection.js';
import type { DaemonContext } from '../context.js';

export function handleList(ctx: DaemonContext, conn: Connection): void {
  conn.send({ type: 'sessions', sessions: ctx.sessions.all().map((s) => s.info()), exited: ctx.sessions.exited() });
  conn.close();
}

