import { GrittyError } from '../../relay/errors.js';
import type { ExitedInfo, SessionInfo } from '../../relay/messages.js';
import { printable } from '../../relay/printable.js';
import { LOCAL_HOST } from '../../relay/names.js';
import type { CliContext, CommandSpec } from '../context.js';
import { request } from '../daemon-client.js';
import { defaultLocalSocket, openHost, reopenHost } from '../endpoint.js';
import { checkHostName } from '../../relay/names.js';
import { jsonForTerminal } from '../json-output.js';
import { tunnelNames } from '../tunnel-state.js';
import { formatColumns, shortTime } from '../table.js';

interface HostSessions {
  host: string;
  sessions: SessionInfo[];
  /** Sessions that exited within the last hour (daemons that report them). */
  exited?: ExitedInfo[];
  error?: string;
}

export const listSessions: CommandSpec = {
  name: 'list-sessions',
  aliases: ['ls', 'list'],
  summary: 'list sessions (all hosts when none is named)',
  details: `
Asks every host at once; a host that cannot be asked is named on stderr and makes
the exit status 1. --all adds the sessions that exited in the last hour.

Examples:
  gritty ls
  gritty ls devbox
  gritty ls --all --json | jq '.[] | select(.exited) | .name'`,
  args: [{ name: 'host', required: false, description: 'a connection name, or local' }],
  options: [
    { flags: '--json', description: 'print JSON: one object per session with its host (see the README)' },
    { flags: '-a, --all', description: 'also the sessions that exited in the last hour, with their status' },
  ],
  async run(ctx, args, options) {
    const all = options.all === true;
    if (args[0] !== undefined) {
      const host = checkHostName(args[0]);
      const reply = await request(await openHost(ctx, host, { autostart: false, wait: false }), { type: 'list' }, 'sessions');
      return print([{ host, sessions: reply.sessions, exited: all ? reply.exited : undefined }], options.json === true);
    }
    // every host at once, each asked once without waiting: a tunnel that is down is reported, not waited for
    const results = await Promise.all(
      knownHosts(ctx).map(async (host): Promise<HostSessions> => {
        try {
          const reply = await request(await reopenHost(ctx, host), { type: 'list' }, 'sessions');
          return { host, sessions: reply.sessions, exited: all ? reply.exited : undefined };
        } catch (err) {
          if (host === LOCAL_HOST && err instanceof GrittyError && err.code === 'no-server' && defaultLocalSocket(ctx)) return { host, sessions: [] };
          return { host, sessions: [], error: (err as Error).message };
        }
      }),
    );
    return print(results, options.json === true);
  },
};

/** Prints the sessions; hosts that could not be asked go to stderr and make the status 1. */
function print(results: HostSessions[], json: boolean): number {
  if (json) {
    const rows = results.flatMap((r) => [
      ...r.sessions.map((s) => ({ host: r.host, ...s })),
      ...(r.exited ?? []).map((e) => ({ host: r.host, exited: true, ...e })),
    ]);
    process.stdout.write(`${jsonForTerminal(rows)}\n`);
  } else {
    process.stdout.write(formatTable(results, Date.now()));
  }
  const failed = results.filter((r) => r.error !== undefined);
  for (const r of failed) process.stderr.write(`gritty: ${r.host}: ${printable(r.error!)}\n`);
  return failed.length > 0 ? 1 : 0;
}

/** local, plus every connection gritty connect set up. */
function knownHosts(ctx: CliContext): string[] {
  return [LOCAL_HOST, ...tunnelNames(ctx.paths.socketDir)];
}

/** The sessions as a table; every string a daemon sent is shown with its control characters escaped. */
export function formatTable(results: HostSessions[], now: number): string {
  const rows = [['SESSION', 'ATTACHED', 'CREATED', 'IDLE', 'COMMAND']];
  for (const { host, exited } of results) {
    for (const e of exited ?? []) {
      const how = e.signal !== undefined && e.signal !== 0 ? `signal ${e.signal}` : `status ${e.code}`;
      rows.push([`${host}:${printable(e.name)}`, 'exited', shortTime(e.exitedAt, now), duration(now - e.exitedAt), how]);
    }
  }
  for (const { host, sessions } of results) {
    for (const s of [...sessions].sort((a, b) => a.createdAt - b.createdAt)) {
      rows.push([
        `${host}:${s.name}`,
        s.attached ? (s.attachedBy ?? 'yes') : 'no',
        shortTime(s.createdAt, now),
        duration(now - s.activeAt),
        s.foreground ?? '',
      ].map(printable));
    }
  }
  const host = results.length === 1 ? results[0]!.host : LOCAL_HOST;
  // a host that could not be asked is reported on stderr; "no sessions" would contradict it
  if (rows.length === 1) return results.some((r) => r.error !== undefined) ? '' : `no sessions; start one with gritty new ${host}:NAME\n`;
  return formatColumns(rows);
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
