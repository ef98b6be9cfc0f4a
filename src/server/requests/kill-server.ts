import type { Connection } from '../../relay/connection.js';
import type { DaemonContext } from '../context.js';

/** kill-server: answers only once every session's shell is gone, then the daemon exits. */
export async function handleKillServer(ctx: DaemonContext, conn: Connection): Promise<void> {
  const left = await ctx.endSessions();
  if (left.length > 0) {
    conn.send({ type: 'error', code: 'internal', message: `the server stopped, but shells ${left.join(', ')} outlived SIGKILL; check them with ps` });
  } else {
    conn.send({ type: 'ok' });
  }
  if (conn.isClosed) ctx.shutdown();
  else conn.socket.end(() => ctx.shutdown());
}
