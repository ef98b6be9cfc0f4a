import type { Connection } from '../../relay/connection.js';
import type { MessageOf } from '../../relay/messages.js';
import type { DaemonContext } from '../context.js';

export function handleKillSession(ctx: DaemonContext, conn: Connection, msg: MessageOf<'kill-session'>): void {
  const session = ctx.sessions.resolve(msg.target);
  session.dropClient('killed');
  session.onEnded(() => {
    conn.send({ type: 'ok' });
    conn.close();
  });
  session.kill();
}

