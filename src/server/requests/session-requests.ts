import type { Connection } from '../../relay/connection.js';
import { GrittyError } from '../../relay/errors.js';
import type { MessageOf } from '../../relay/messages.js';
import type { DaemonContext } from '../context.js';
import type { Session } from '../session.js';

/** new: spawn a session; with `attach` the connection becomes its client. */
export async function handleNew(ctx: DaemonContext, conn: Connection, msg: MessageOf<'new'>, by: string): Promise<void> {
  const session = ctx.createSession(msg.spec);
  if (!msg.attach) {
    conn.send({ type: 'created', session: session.info() });
    conn.close();
    return;
  }
  await attachTo(ctx, conn, session, { cols: msg.spec.cols, rows: msg.spec.rows, resume: undefined, repaint: false }, by);
}

/** attach: take the session over (creating it when asked and missing). */
export async function handleAttach(ctx: DaemonContext, conn: Connection, msg: MessageOf<'attach'>, by: string): Promise<void> {
  let session: Session;
  if (msg.create !== undefined && ctx.sessions.find(msg.target) === undefined) {
    session = ctx.createSession({ ...msg.create, name: msg.create.name ?? msg.target });
  } else {
    session = ctx.sessions.resolve(msg.target);
  }
  await attachTo(ctx, conn, session, { cols: msg.cols, rows: msg.rows, resume: msg.resume, repaint: msg.repaint }, by);
}

async function attachTo(
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

/** tail: a read-only viewer. */
export async function handleTail(ctx: DaemonContext, conn: Connection, msg: MessageOf<'tail'>): Promise<void> {
  await ctx.sessions.resolve(msg.target).tail(conn, msg.from);
}

export function handleList(ctx: DaemonContext, conn: Connection): void {
  conn.send({ type: 'sessions', sessions: ctx.sessions.all().map((s) => s.info()) });
  conn.close();
}

export function handleKillSession(ctx: DaemonContext, conn: Connection, msg: MessageOf<'kill-session'>): void {
  const session = ctx.sessions.resolve(msg.target);
  session.dropClient('killed');
  session.onEnded(() => {
    conn.send({ type: 'ok' });
    conn.close();
  });
  session.kill();
}

export function handleRename(ctx: DaemonContext, conn: Connection, msg: MessageOf<'rename'>): void {
  ctx.sessions.rename(ctx.sessions.resolve(msg.target), msg.name);
  conn.send({ type: 'ok' });
  conn.close();
}

export function handleKillServer(ctx: DaemonContext, conn: Connection): void {
  conn.send({ type: 'ok' });
  conn.socket.end(() => ctx.shutdown());
}
