import type { Connection } from '../../relay/connection.js';
import type { DaemonContext } from '../context.js';

export function handleKillServer(ctx: DaemonContext, conn: Connection): void {
  conn.send({ type: 'ok' });
  conn.socket.end(() => ctx.shutdown());
}
