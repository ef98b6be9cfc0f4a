import { GrittyError } from '../relay/errors.js';

/**
 * How gritty calls ssh: the program (overridable for wrappers and tests), the
 * options every call needs, and what ssh's stderr means. Pure.
 */
export const SSH_PROGRAM_ENV = 'GRITTY_SSH';
export const REMOTE_BIN_ENV = 'GRITTY_REMOTE_BIN';

/** Where a per-user install of gritty usually lands on the remote, tried after its PATH. */
const REMOTE_BIN_CANDIDATES = ['gritty', '$HOME/.local/bin/gritty', '$HOME/bin/gritty', '$HOME/.npm-global/bin/gritty', '$HOME/.npm/bin/gritty', '/usr/local/bin/gritty', '$HOME/.volta/bin/gritty'];
/** The remote script's exit status when no gritty was found, told apart from ssh's own 255. */
export const REMOTE_NOT_FOUND_STATUS = 127;

/** ssh keepalives: the tunnel's ssh gives up after about 15 s of a silent network. */
const SERVER_ALIVE_INTERVAL_S = 5;
const SERVER_ALIVE_COUNT_MAX = 3;

/** Options no gritty ssh may do without: it runs in the background and can prompt for nothing. */
const REQUIRED_OPTIONS = ['BatchMode=yes', 'ControlMaster=no', 'ControlPath=none'];

/** The ssh program: $GRITTY_SSH, else the config's ssh-command, else ssh on PATH. */
export function sshProgram(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return nonEmpty(env[SSH_PROGRAM_ENV]) ?? configured ?? 'ssh';
}

/** The remote gritty: $GRITTY_REMOTE_BIN, else the config's remote-bin, else searched for on the remote. */
export function remoteBin(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return nonEmpty(env[REMOTE_BIN_ENV]) ?? configured;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function optionArgs(options: readonly string[]): string[] {
  return options.flatMap((o) => ['-o', o]);
}

/** A POSIX-shell single-quoted word. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The remote command that finds gritty and runs `server --json` (starting the daemon unless `start` is false). */
export function remoteServerScript(options: { remoteBin: string | undefined; start: boolean }): string {
  const candidates = options.remoteBin !== undefined ? [shellQuote(options.remoteBin)] : REMOTE_BIN_CANDIDATES.map((c) => `"${c}"`);
  const args = options.start ? 'server --json' : 'server --json --no-start';
  const script = `for g in ${candidates.join(' ')}; do if command -v "$g" >/dev/null 2>&1; then exec "$g" ${args}; fi; done; echo "gritty: command not found" >&2; exit ${REMOTE_NOT_FOUND_STATUS}`;
  return `sh -c ${shellQuote(script)}`;
}

export function probeArgs(destination: string, userOptions: readonly string[], remoteCommand: string): string[] {
  return [...optionArgs(REQUIRED_OPTIONS), '-o', 'ConnectTimeout=15', ...optionArgs(userOptions), '-T', destination, remoteCommand];
}

export function tunnelArgs(options: { destination: string; localSocket: string; remoteSocket: string; userOptions: readonly string[] }): string[] {
  return [
    '-N',
    ...optionArgs([...REQUIRED_OPTIONS, 'ExitOnForwardFailure=yes', 'StreamLocalBindUnlink=yes', 'StreamLocalBindMask=0177']),
    ...optionArgs(options.userOptions),
    ...optionArgs([`ServerAliveInterval=${SERVER_ALIVE_INTERVAL_S}`, `ServerAliveCountMax=${SERVER_ALIVE_COUNT_MAX}`, 'ConnectTimeout=15']),
    '-L',
    `${options.localSocket}:${options.remoteSocket}`,
    options.destination,
  ];
}

/** Turns a failed ssh run into an error that names the fix. */
export function sshFailure(destination: string, status: number | null, stderr: string): GrittyError {
  const said = stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  if (status === REMOTE_NOT_FOUND_STATUS && /gritty: command not found/.test(stderr)) {
    return new GrittyError(
      'tunnel-failed',
      `gritty is not installed on ${destination}: install it there (npm install -g gritty, with Node 20 or later), or name its path with ${REMOTE_BIN_ENV} or remote-bin in [host.NAME] of the config`,
    );
  }
  if (/Permission denied|Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|passphrase|Too many authentication failures/i.test(stderr)) {
    return new GrittyError(
      'tunnel-failed',
      `ssh to ${destination} failed (${said}). gritty runs ssh in the background, where it cannot ask for passwords or confirm host keys: run ssh ${destination} once yourself, then try again`,
    );
  }
  if (/Could not resolve hostname|Connection refused|Connection timed out|No route to host|Network is unreachable|Connection closed|kex_exchange/i.test(stderr)) {
    return new GrittyError('tunnel-failed', `cannot reach ${destination} (${said}); check that ssh ${destination} works`);
  }
  return new GrittyError('tunnel-failed', `ssh ${destination} failed with status ${status ?? 'unknown'}${said !== '' ? ` (${said})` : ''}; check that ssh ${destination} works`);
}
