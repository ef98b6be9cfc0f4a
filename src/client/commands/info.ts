import { readdirSync, statSync } from 'node:fs';
import { isGrittyError } from '../../relay/errors.js';
import { LOG_CAP_BYTES } from '../../relay/log.js';
import { PROTOCOL_VERSION } from '../../relay/messages.js';
import { clientLogFile, daemonLogFile, ignoredXdgVariables } from '../../relay/paths.js';
import { printable } from '../../relay/printable.js';
import { checkPrivateDir } from '../../relay/secure-socket.js';
import { formatProblem } from '../config-schema.js';
import type { CliContext, CommandSpec } from '../context.js';
import { openDaemon, request } from '../daemon-client.js';
import { readDeviceId } from '../device.js';
import { effectiveStatus, readTunnelState, tunnelNames, type TunnelState } from '../tunnel-state.js';

/** What `gritty info --json` prints; the README documents this shape. */
export interface InfoReport {
  version: string;
  protocol: number;
  node: string;
  config: { path: string; status: 'none' | 'ok' | 'problems'; problems: string[] };
  socketDir: { path: string; status: 'ok' | 'missing' | 'refused'; reason?: string };
  ctlSocket: string;
  stateDir: string;
  logs: { path: string; bytes: number; overCap: boolean }[];
  server: { running: false; reason: string } | { running: true; pid: number; protocol: number; startedAt: string; uptimeSeconds: number; sessions: number | undefined };
  tunnels: { name: string; destination: string; status: string; pid: number; since: string }[];
  ignoredEnvironment: string[];
  deviceId: string | undefined;
}

export const info: CommandSpec = {
  name: 'info',
  summary: 'show versions, config problems, paths, logs, the local server and tunnels',
  details: `
Only reads: it starts nothing and writes nothing. Every problem in the config file is
listed with its line. Exit status 0 even when the server is not running.

Examples:
  gritty info
  gritty info --json | jq .config.problems`,
  options: [{ flags: '--json', description: 'print JSON (the README documents its fields)' }],
  async run(ctx, _args, options) {
    const report = await gather(ctx);
    if (options.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(format(report));
    return 0;
  },
};

export async function gather(ctx: CliContext): Promise<InfoReport> {
  const config = ctx.config();
  return {
    version: ctx.version,
    protocol: PROTOCOL_VERSION,
    node: process.version,
    config: { path: config.path, status: !config.exists ? 'none' : config.problems.length === 0 ? 'ok' : 'problems', problems: config.problems.map(formatProblem) },
    socketDir: socketDirStatus(ctx.paths.socketDir),
    ctlSocket: ctx.paths.ctlSocket,
    stateDir: ctx.paths.stateDir,
    logs: logFiles(ctx.paths.stateDir),
    server: await serverStatus(ctx),
    tunnels: tunnelRows(ctx.paths.socketDir),
    ignoredEnvironment: ignoredXdgVariables(),
    deviceId: readDeviceId(ctx.paths.stateDir),
  };
}

function socketDirStatus(dir: string): InfoReport['socketDir'] {
  try {
    checkPrivateDir(dir);
    return { path: dir, status: 'ok' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: dir, status: 'missing', reason: 'created when a server or tunnel starts' };
    return { path: dir, status: 'refused', reason: (err as Error).message };
  }
}

/** Every log in the state dir: daemon.log, client.log, tunnel-<name>.log and their rotated .1 files. */
function logFiles(stateDir: string): InfoReport['logs'] {
  let names: string[];
  try {
    names = readdirSync(stateDir).filter((n) => /\.log(\.1)?$/.test(n));
  } catch {
    names = [];
  }
  const known = [daemonLogFile(stateDir), clientLogFile(stateDir)];
  const files = [...new Set([...known, ...names.sort().map((n) => `${stateDir}/${n}`)])];
  return files.map((path) => {
    let bytes = 0;
    try {
      bytes = statSync(path).size;
    } catch {
      // not written yet
    }
    return { path, bytes, overCap: bytes > LOG_CAP_BYTES };
  });
}

async function serverStatus(ctx: CliContext): Promise<InfoReport['server']> {
  try {
    const link = await openDaemon(ctx.paths.ctlSocket, ctx.anonymous, { allowMismatch: true });
    const { ack } = link;
    let sessions: number | undefined;
    if (ack.version === PROTOCOL_VERSION) sessions = (await request(link, { type: 'list' }, 'sessions')).sessions.length;
    else link.conn.close();
    return { running: true, pid: ack.pid, protocol: ack.version, startedAt: new Date(ack.startedAt).toISOString(), uptimeSeconds: Math.max(0, Math.round((Date.now() - ack.startedAt) / 1000)), sessions };
  } catch (err) {
    if (isGrittyError(err, 'no-server')) return { running: false, reason: 'not running' };
    return { running: false, reason: (err as Error).message };
  }
}

function tunnelRows(socketDir: string): InfoReport['tunnels'] {
  let names: string[];
  try {
    names = tunnelNames(socketDir);
  } catch {
    return [];
  }
  return names
    .map((name) => readTunnelState(socketDir, name))
    .filter((s): s is TunnelState => s !== undefined)
    .map((s) => ({ name: s.name, destination: s.destination, status: effectiveStatus(s), pid: s.pid, since: new Date(s.since).toISOString() }));
}

function format(r: InfoReport): string {
  const out: string[] = [];
  const row = (key: string, value: string): number => out.push(`${key.padEnd(11)} ${value}`);
  row('version', `gritty ${r.version}, protocol ${r.protocol}, node ${r.node}`);
  row('config', `${r.config.path} (${r.config.status === 'problems' ? `${r.config.problems.length} problem${r.config.problems.length === 1 ? '' : 's'}` : r.config.status === 'none' ? 'none; gritty config-edit creates it' : 'ok'})`);
  for (const p of r.config.problems) out.push(`  ${p}`);
  row('socket dir', `${r.socketDir.path} (${r.socketDir.status}${r.socketDir.reason !== undefined ? `: ${r.socketDir.reason}` : ''})`);
  row('ctl socket', r.ctlSocket);
  row('state dir', r.stateDir);
  for (const log of r.logs) row('log', `${log.path} (${log.bytes === 0 ? 'empty' : `${Math.ceil(log.bytes / 1024)} KiB`}${log.overCap ? ', over its cap' : ''})`);
  if (r.server.running) {
    const s = r.server;
    const sessions = s.sessions === undefined ? 'sessions unknown (other protocol)' : `${s.sessions} session${s.sessions === 1 ? '' : 's'}`;
    row('server', `running, pid ${s.pid}, up ${uptime(s.uptimeSeconds)}, protocol ${s.protocol}, ${sessions}`);
  } else {
    row('server', printable(r.server.reason));
  }
  if (r.tunnels.length === 0) row('tunnels', 'none');
  for (const t of r.tunnels) row('tunnel', `${t.name} -> ${printable(t.destination)}: ${t.status}, pid ${t.pid}, since ${t.since}`);
  for (const name of r.ignoredEnvironment) row('ignored', `${name} is not an absolute path (XDG rule); the default is used`);
  return `${out.join('\n')}\n`;
}

function uptime(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
}
