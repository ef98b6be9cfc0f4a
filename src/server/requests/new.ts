import type { Connection } from '../../relay/connection.js';
import type { MessageOf } from '../../relay/messages.js';
import type { DaemonContext, Peer } from '../context.js';
import { attachTo } from './attach.js';

/** new: spawn a session; with `attach` the connection becomes its client. */
export async function handleNew(ctx: DaemonContext, conn: Connection, msg: MessageOf<'new'>, peer: Peer): Promise<void> {
  // a client that gave up while waiting for its turn gets no orphan session
  const session = await ctx.sessions.inSpawnTurn(() => (conn.isClosed ? undefined : ctx.createSession(msg.spec)));
  if (session === undefined) return;
  if (!msg.attach) {
    conn.send({ type: 'created', session: session.info() });
    conn.close();
    return;
  }
  await attachTo(ctx, conn, session, { cols: msg.spec.cols, rows: msg.spec.rows, resume: undefined, repaint: false }, peer);
}

