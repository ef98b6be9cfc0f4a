import type { Connection } from '../../relay/connection.js';
import { GrittyError } from '../../relay/errors.js';
import type { MessageOf } from '../../relay/messages.js';
import type { DaemonContext } from '../context.js';
import type { Session } from '../session.js';

/** attach: take the session over (creating it when asked and missing). */
export async function handleAttach(ctx: DaemonContext, conn: Connection, msg: MessageOf<'attach'>, by: string): Promise<void> {
  let session: Session;
  if (msg.create !== undefined && ctx.sessions.find(msg.target) === undefined) {
    const create = msg.create;
    // another request may have made it while this one waited for its turn
    const made = await ctx.sessions.inSpawnTurn(() =>
      conn.isClosed ? undefined : (ctx.sessions.find(msg.target) ?? ctx.createSession({ ...create, name: create.name ?? msg.target })),
    );
    if (made === undefined) return;
    session = made;
  } else {
    session = ctx.sessions.resolve(msg.target);
  }
  await attachTo(ctx, conn, session, { cols: msg.cols, rows: msg.rows, resume: msg.resume, repaint: msg.repaint }, by);
}


export async function attachTo(
  ctx: DaemonContext,
  conn: Connection,
  session: Session,
  req: { cols: number; rows: number; resume: { token: string; offset: number } | undefined; repaint: boolean },
  by: string,
): Promise<void> {
  ctx.sessions.markAttached(session);
  const refusal = await session.attach(conn, { ...req, by });
  if (refusal !== undefined) {
    const who = refusal.by === undefined ? 'another client' : refusal.by;
    throw new GrittyError('taken-over', `session ${session.name} was taken over by ${who}; run gritty attach to take it back`);
  }
  ctx.log.info(`client ${by} attached to ${session.name} (${session.id})`);
}

