import type { Connection } from '../../relay/connection.js';
import { GrittyError } from '../../relay/errors.js';
import type { MessageOf } from '../../relay/messages.js';
import { LAST_SESSION } from '../../relay/names.js';
import { optimizeSooner } from '../../relay/tier-up.js';
import type { DaemonContext, Peer } from '../context.js';
import type { AttachRequest, Session } from '../session.js';

/** attach: take the session over (creating it when asked and missing). */
export async function handleAttach(ctx: DaemonContext, conn: Connection, msg: MessageOf<'attach'>, peer: Peer): Promise<void> {
  let session: Session;
  const existing = msg.target === LAST_SESSION ? ctx.sessions.last() : ctx.sessions.find(msg.target);
  if (msg.create !== undefined && existing === undefined) {
    const create = msg.create;
    // attach -c with no session attached before: - names nothing, so the new session gets a number;
    // another request may have made it while this one waited for its turn
    const made = await ctx.sessions.inSpawnTurn(() =>
      conn.isClosed
        ? undefined
        : ((msg.target === LAST_SESSION ? undefined : ctx.sessions.find(msg.target)) ?? ctx.createSession({ ...create, name: create.name ?? (msg.target === LAST_SESSION ? undefined : msg.target) })),
    );
    if (made === undefined) return;
    session = made;
  } else {
    session = ctx.sessions.resolve(msg.target);
  }
  // its own client would take it over and then echo its own output back into it, without end
  if (msg.from === session.id) {
    throw new GrittyError('self-attach', `you are inside session ${session.name}; detach with ~. first, or attach from another terminal`);
  }
  await attachTo(ctx, conn, session, { cols: msg.cols, rows: msg.rows, resume: msg.resume, repaint: msg.repaint }, peer);
}

export async function attachTo(
  ctx: DaemonContext,
  conn: Connection,
  session: Session,
  req: Omit<AttachRequest, 'by' | 'caps'>,
  peer: Peer,
): Promise<void> {
  ctx.sessions.markAttached(session);
  const refusal = await session.attach(conn, { ...req, ...peer });
  if (refusal !== undefined) {
    const who = refusal.by === undefined ? 'another client' : refusal.by;
    throw new GrittyError('taken-over', `session ${session.name} was taken over by ${who}; run gritty attach to take it back`);
  }
  ctx.log.info(`client ${peer.by} attached to ${session.name} (${session.id})`);
  // not at start: a daemon nobody has typed into stays without the optimizing compiler's ~4 MiB
  void optimizeSooner();
}

