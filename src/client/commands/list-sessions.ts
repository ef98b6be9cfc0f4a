import { GrittyError } from '../../relay/errors.js';
import type { SessionInfo } from '../../relay/messages.js';
import { LOCAL_HOST } from '../../relay/names.js';
import type { CliContext, CommandSpec } from '../context.js';
import { request } from '../daemon-client.js';
import { openHost } from '../endpoint.js';
import { checkHostName } from '../../relay/names.js';
import { tunnelNames } from '../tunnel-state.js';

interface HostSessions {
  host: string;
  sessions: SessionInfo[];
  error?: string;
}

export const listSessions: CommandSpec = {
  name: 'list-sessions',
  aliases: ['ls', 'list'],
  summary: 'list sessions (all hosts when none is named)',
  args: [{ name: 'host', required: false, description: 'a connection name, or local' }],
  options: [{ flags: '--json', description: 'print JSON: one object per session with its host' }],
  async run(ctx, args, options) {
    const hosts = args[0] !== undefined ? [checkHostName(args[0])] : knownHosts(ctx);
    const results: HostSessions[] = [];
    for (const host of hosts) {
      try {
        const reply = await request(await openHost(ctx, host, { autostart: false, wait: false }), { type: 'list' }, 'sessions');
        results.push({ host, sessions: reply.sessions });
      } catch (err) {
        if (args[0] !== undefined) throw err;
        if (!(err instanceof GrittyError && err.code === 'no-server')) results.push({ host, sessions: [], error: (err as Error).message });
      }
    }
    if (options.json === true) {
      const rows = results.flatMap((r) => r.sessions.map((s) => ({ host: r.host, ...s })));
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(formatTable(results, Date.now()));
    return 0;
  },
};

/** local, plus every connection gritty connect set up. */
function knownHosts(ctx: CliContext): string[] {
  return [LOCAL_HOST, ...tunnelNames(ctx.paths.socketDir)];
}

export function formatTable(results: HostSessions[], now: number): string {
  const rows = [['SESSION', 'ATTACHED', 'CREATED', 'IDLE', 'COMMAND']];
  for (const { host, sessions } of results) {
    for (const s of [...sessions].sort((a, b) => a.createdAt - b.createdAt)) {
      rows.push([
        `${host}:${s.name}`,
        s.attached ? (s.attachedBy ?? 'yes') : 'no',
        new Date(s.createdAt).toLocaleString(),
        duration(now - s.activeAt),
        s.foreground ?? '',
      ]);
    }
  }
  const errors = results.filter((r) => r.error !== undefined).map((r) => `${r.host}: ${r.error}\n`);
  const host = results.length === 1 ? results[0]!.host : LOCAL_HOST;
  if (rows.length === 1) return `no sessions${errors.length > 0 ? '' : `; start one with gritty new ${host}:NAME`}\n${errors.join('')}`;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n' + errors.join('');
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
