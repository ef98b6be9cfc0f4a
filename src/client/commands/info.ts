import { existsSync } from 'node:fs';
import { GrittyError } from '../../relay/errors.js';
import { PROTOCOL_VERSION } from '../../relay/messages.js';
import { daemonLogFile } from '../../relay/paths.js';
import { readConfig } from '../config.js';
import type { CommandSpec } from '../context.js';
import { openDaemon, request } from '../daemon-client.js';

function configStatus(file: string): string {
  if (!existsSync(file)) return ' (none)';
  const { problem } = readConfig(file);
  return problem === undefined ? ' (ok)' : ` (${problem})`;
}

export const info: CommandSpec = {
  name: 'info',
  summary: 'show paths, versions and whether the local server runs',
  options: [{ flags: '--json', description: 'print JSON' }],
  async run(ctx, _args, options) {
    const facts: Record<string, unknown> = {
      protocol: PROTOCOL_VERSION,
      node: process.version,
      socketDir: ctx.paths.socketDir,
      ctlSocket: ctx.paths.ctlSocket,
      stateDir: ctx.paths.stateDir,
      daemonLog: daemonLogFile(ctx.paths.stateDir),
      configFile: `${ctx.paths.configFile}${configStatus(ctx.paths.configFile)}`,
      deviceId: ctx.identity.deviceId,
    };
    try {
      const link = await openDaemon(ctx.paths.ctlSocket, ctx.identity, { allowMismatch: true });
      const { ack } = link;
      const server: Record<string, unknown> = { pid: ack.pid, protocol: ack.version, serverId: ack.serverId, since: new Date(ack.startedAt).toISOString() };
      if (ack.version === PROTOCOL_VERSION) server.sessions = (await request(link, { type: 'list' }, 'sessions')).sessions.length;
      else link.conn.close();
      facts.server = server;
    } catch (err) {
      if (!(err instanceof GrittyError && err.code === 'no-server')) throw err;
      facts.server = 'not running';
    }
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
      return 0;
    }
    for (const [key, value] of Object.entries(facts)) {
      process.stdout.write(`${key.padEnd(12)} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
    }
    return 0;
  },
};
