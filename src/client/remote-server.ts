import { spawn } from 'node:child_process';
import { GrittyError } from '../relay/errors.js';
import { probeArgs, remoteServerScript, sshFailure } from './ssh-command.js';

/** What `gritty server --json` reports. */
export interface RemoteServer {
  socket: string;
  protocol: number;
  running: boolean;
}

/** The whole probe, ssh connection setup included, may take this long. */
const PROBE_TIMEOUT_MS = 30_000;

/** Runs gritty on the remote over ssh to start its daemon (unless `start` is false) and learn its socket. */
export function probeRemoteServer(options: { ssh: string; destination: string; userOptions: readonly string[]; remoteBin: string | undefined; start: boolean }): Promise<RemoteServer> {
  const args = probeArgs(options.destination, options.userOptions, remoteServerScript(options));
  return new Promise((resolve, reject) => {
    const child = spawn(options.ssh, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new GrittyError('timeout', `ssh ${options.destination} did not answer within ${PROBE_TIMEOUT_MS / 1000} s; check that ssh ${options.destination} works`));
    }, PROBE_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new GrittyError('tunnel-failed', `cannot run ${options.ssh}: ${err.message}`, { cause: err }));
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      if (status !== 0) {
        reject(sshFailure(options.destination, status, stderr));
        return;
      }
      try {
        resolve(parseServerReport(stdout));
      } catch (err) {
        reject(err);
      }
    });
  });
}

export function parseServerReport(stdout: string): RemoteServer {
  const line = stdout.trim().split('\n').pop() ?? '';
  let report: unknown;
  try {
    report = JSON.parse(line);
  } catch {
    throw new GrittyError('tunnel-failed', `the remote gritty answered something unexpected: ${JSON.stringify(line.slice(0, 200))}`);
  }
  const r = report as Partial<RemoteServer>;
  if (typeof r.socket !== 'string' || typeof r.protocol !== 'number' || typeof r.running !== 'boolean') {
    throw new GrittyError('tunnel-failed', `the remote gritty's report lacks socket/protocol/running: ${line.slice(0, 200)}`);
  }
  return { socket: r.socket, protocol: r.protocol, running: r.running };
}
