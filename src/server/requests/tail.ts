import type { Connection } from '../../relay/connection.js';
import type { MessageOf } from '../../relay/messages.js';
import type { DaemonContext } from '../context.js';

/** tail: a read-only viewer. */
export async function handleTail(ctx: DaemonContext, conn: Connection, msg: MessageOf<'tail'>): Promise<void> {
  await ctx.sessions.resolve(msg.target).tail(conn, msg.from);
}

