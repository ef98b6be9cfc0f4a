import type { Connection } from '../../relay/connection.js';
import type { MessageOf } from '../../relay/messages.js';
import type { DaemonContext } from '../context.js';

export function handleRename(ctx: DaemonContext, conn: Connection, msg: MessageOf<'rename'>): void {
  ctx.sessions.rename(ctx.sessions.resolve(msg.target), msg.name);
  conn.send({ type: 'ok' });
  conn.close();
}

