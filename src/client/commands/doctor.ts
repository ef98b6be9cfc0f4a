import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, lstatSync, renameSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { LOG_CAP_BYTES } from '../../relay/log.js';
import { sessionSocketPaths } from '../../relay/paths.js';
import { PROTOCOL_VERSION } from '../../relay/messages.js';
import { printable } from '../../relay/printable.js';
import { checkPrivateDir } from '../../relay/secure-socket.js';
import { formatProblem } from '../config-schema.js';
import type { CliContext, CommandSpec } from '../context.js';
import { grittyDaemons } from '../daemon-processes.js';
import { effectiveStatus, readTunnelState, removeTunnelFiles, tunnelNames } from '../tunnel-state.js';
import { gather } from './info.js';

/** One thing doctor looked at. `fixed` says what --fix did; `advice` what the user can do. */
export interface Finding {
  check: string;
  status: 'ok' | 'problem' | 'fixed';
  message: string;
  advice?: string;
}

export const doctor: CommandSpec = {
  name: 'doctor',
  summary: 'find and explain what is wrong: stale tunnels, orphaned servers, config, permissions, logs',
  details: `
Checks the config file, the socket directory, the logs' sizes, every tunnel (stale
ones, and remote servers of another protocol), servers whose socket is gone, and,
inside a session, that SSH_AUTH_SOCK, BROWSER and tmux pass gritty's forwarding on.
--fix does only what is safe, and says what it did: it removes the files of stale
tunnels, stops orphaned servers that have no shells left, rotates logs over their
cap, and tightens a socket directory of yours to 0700.
Exit status 1 while a problem remains.

Examples:
  gritty doctor
  gritty doctor --fix
  gritty doctor --json | jq '.[] | select(.status != "ok")'`,
  options: [
    { flags: '--json', description: 'print the findings as JSON' },
    { flags: '--fix', description: 'fix what is safe to fix, and say what was done' },
  ],
  async run(ctx, _args, options) {
    const findings = await examine(ctx, options.fix === true);
    if (options.json === true) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
    else {
      for (const f of findings) {
        const mark = f.status === 'ok' ? 'ok     ' : f.status === 'fixed' ? 'fixed  ' : 'PROBLEM';
        process.stdout.write(`${mark} ${f.check}: ${f.message}${f.advice !== undefined ? `; ${f.advice}` : ''}\n`);
      }
    }
    return findings.some((f) => f.status === 'problem') ? 1 : 0;
  },
};

async function examine(ctx: CliContext, fix: boolean): Promise<Finding[]> {
  const report = await gather(ctx);
  const found: Finding[] = [];
  const config = ctx.config();
  if (config.problems.length === 0) found.push({ check: 'config', status: 'ok', message: config.exists ? `${config.path} is valid` : 'no config file (built-in settings)' });
  for (const p of config.problems) found.push({ check: 'config', status: 'problem', message: formatProblem(p), advice: 'gritty config-edit' });

  found.push(socketDir(ctx.paths.socketDir, fix));

  for (const log of report.logs.filter((l) => l.overCap && !l.path.endsWith('.1'))) {
    if (fix) {
      renameSync(log.path, `${log.path}.1`);
      found.push({ check: 'logs', status: 'fixed', message: `${log.path} was ${log.bytes} bytes, over its ${LOG_CAP_BYTES}-byte cap; moved to ${log.path}.1` });
    } else {
      found.push({ check: 'logs', status: 'problem', message: `${log.path} is ${log.bytes} bytes, over its ${LOG_CAP_BYTES}-byte cap`, advice: 'gritty doctor --fix rotates it' });
    }
  }
  if (!found.some((f) => f.check === 'logs')) found.push({ check: 'logs', status: 'ok', message: 'every log is under its cap' });

  found.push(...tunnels(ctx, fix), ...orphans(ctx.paths.socketDir, fix), ...insideSession());
  return found;
}

function socketDir(dir: string, fix: boolean): Finding {
  try {
    checkPrivateDir(dir);
    return { check: 'socket dir', status: 'ok', message: `${dir} is private` };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { check: 'socket dir', status: 'ok', message: `${dir} does not exist yet` };
    const st = lstatSync(dir);
    const mine = st.isDirectory() && !st.isSymbolicLink() && st.uid === process.getuid?.();
    if (fix && mine) {
      chmodSync(dir, 0o700);
      return { check: 'socket dir', status: 'fixed', message: `${dir} had mode ${(st.mode & 0o777).toString(8)}; set it to 700` };
    }
    return { check: 'socket dir', status: 'problem', message: (err as Error).message, advice: mine ? 'gritty doctor --fix does this' : 'only you can decide what to do with it' };
  }
}

function tunnels(ctx: CliContext, fix: boolean): Finding[] {
  const found: Finding[] = [];
  for (const name of tunnelNames(ctx.paths.socketDir)) {
    const state = readTunnelState(ctx.paths.socketDir, name);
    if (state === undefined) continue;
    const what = `${name} (${printable(state.destination)})`;
    if (effectiveStatus(state) === 'stale') {
      if (fix) {
        removeTunnelFiles(ctx.paths.socketDir, name);
        found.push({ check: 'tunnel', status: 'fixed', message: `${what} was stale (supervisor ${state.pid} gone); removed its state and socket` });
      } else {
        found.push({ check: 'tunnel', status: 'problem', message: `${what} is stale: its supervisor (pid ${state.pid}) is gone`, advice: `gritty doctor --fix, or gritty disconnect ${name}; then gritty connect ${printable(state.destination)}` });
      }
      continue;
    }
    if (state.protocol !== PROTOCOL_VERSION) {
      found.push({ check: 'tunnel', status: 'problem', message: `the gritty server behind ${what} speaks protocol ${state.protocol}, this client ${PROTOCOL_VERSION}`, advice: `upgrade the older side; gritty kill-server ${name} works across versions` });
      continue;
    }
    found.push({ check: 'tunnel', status: 'ok', message: `${what} is ${effectiveStatus(state)}` });
  }
  return found;
}

/** A server younger than this may still be starting (server-start waits 10 s for its socket): not an orphan yet. */
const ORPHAN_MIN_AGE_S = 15;

/** Servers started on a socket in this socket dir whose socket is gone: no client can reach them. */
function orphans(socketDir: string, fix: boolean): Finding[] {
  const found: Finding[] = [];
  for (const daemon of grittyDaemons()) {
    if (dirname(daemon.ctlSocket) !== socketDir || daemon.ageSeconds < ORPHAN_MIN_AGE_S) continue;
    let listening = false;
    try {
      listening = lstatSync(daemon.ctlSocket).isSocket();
    } catch {
      // its socket is gone
    }
    if (listening) continue;
    const shells = daemon.children.length;
    if (fix && shells === 0) {
      process.kill(daemon.pid, 'SIGTERM');
      // a server stopped (SIGSTOP, a frozen VM) only acts on SIGTERM once it runs again
      process.kill(daemon.pid, 'SIGCONT');
      found.push({ check: 'server', status: 'fixed', message: `stopped orphaned server ${daemon.pid}: its socket ${daemon.ctlSocket} was gone and it had no shells` });
    } else {
      found.push({
        check: 'server',
        status: 'problem',
        message: `server ${daemon.pid} is orphaned: its socket ${daemon.ctlSocket} is gone, so no client can reach its ${shells} process${shells === 1 ? '' : 'es'}`,
        advice: shells === 0 ? 'gritty doctor --fix stops it' : `kill ${daemon.pid} ends it and its shells (--fix leaves it: shells may hold work)`,
      });
    }
  }
  if (found.length === 0) found.push({ check: 'server', status: 'ok', message: 'no orphaned servers' });
  return found;
}

/** Inside a session: are gritty's forwards what the shell and tmux see? */
function insideSession(env: NodeJS.ProcessEnv = process.env): Finding[] {
  const session = env.GRITTY_SESSION;
  if (session === undefined) return [];
  const found: Finding[] = [];
  const service = env.GRITTY_SOCK;
  const agent = env.SSH_AUTH_SOCK;
  const expected = service === undefined ? undefined : sessionSocketPaths(dirname(service), session).agent;
  if (agent === undefined || agent !== expected) {
    found.push({ check: 'session', status: 'problem', message: `SSH_AUTH_SOCK is ${agent === undefined ? 'unset' : printable(agent)}, not this session's agent socket${expected === undefined ? '' : ` ${printable(expected)}`}`, advice: 'attach with forward-agent on, or check your shell rc files do not reset it' });
  } else found.push({ check: 'session', status: 'ok', message: 'SSH_AUTH_SOCK is this session\'s agent socket' });
  const browser = env.BROWSER;
  if (browser === undefined || !isGrittyOpen(browser)) {
    found.push({ check: 'session', status: 'problem', message: `BROWSER is ${browser === undefined ? 'unset' : printable(browser)}, not gritty's opener`, advice: 'attach with forward-open on, or check your shell rc files do not reset it' });
  } else found.push({ check: 'session', status: 'ok', message: 'BROWSER is gritty\'s' });
  if (env.TMUX !== undefined) found.push(...tmuxChecks());
  return found;
}

/** The daemon sets BROWSER to "<its gritty executable> open". */
function isGrittyOpen(browser: string): boolean {
  const suffix = ' open';
  if (!browser.endsWith(suffix)) return false;
  const program = browser.slice(0, -suffix.length);
  if (basename(program) !== 'gritty') return false;
  try {
    accessSync(program, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function tmuxChecks(): Finding[] {
  const show = (option: string): string | undefined => {
    const r = spawnSync('tmux', ['show-options', '-gv', option], { encoding: 'utf8', timeout: 2_000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const found: Finding[] = [];
  const clipboard = show('set-clipboard');
  found.push(clipboard === 'off' || clipboard === undefined
    ? { check: 'tmux', status: 'problem', message: `set-clipboard is ${clipboard ?? 'unknown'}: OSC 52 copies will not reach your terminal`, advice: 'tmux set -g set-clipboard on' }
    : { check: 'tmux', status: 'ok', message: `set-clipboard is ${clipboard}` });
  const update = show('update-environment') ?? '';
  found.push(update.split(/\s+/).includes('SSH_AUTH_SOCK')
    ? { check: 'tmux', status: 'ok', message: 'update-environment passes SSH_AUTH_SOCK to new panes' }
    : { check: 'tmux', status: 'problem', message: 'update-environment leaves out SSH_AUTH_SOCK: new panes keep a stale agent socket', advice: "tmux set -ga update-environment ' SSH_AUTH_SOCK'" });
  return found;
}
