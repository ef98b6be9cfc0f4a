import { join } from 'node:path';

/** The XDG dirs and home the "remote" gritty of a private sshd runs under, set by sshd's SetEnv. */
export interface RemoteDirs {
  HOME: string;
  XDG_RUNTIME_DIR: string;
  XDG_STATE_HOME: string;
  XDG_CONFIG_HOME: string;
}

/** A home and XDG dirs of their own below `remote`, so the real home's shell rc does not run in every remote session. */
export function remoteDirs(remote: string): RemoteDirs {
  return {
    HOME: join(remote, 'home'),
    XDG_RUNTIME_DIR: join(remote, 'run'),
    XDG_STATE_HOME: join(remote, 'state'),
    XDG_CONFIG_HOME: join(remote, 'config'),
  };
}

/**
 * The sshd_config of a private sshd, shared by the tests' and the bench's: keys in
 * `dir` (host_key, authorized_keys), nothing read from the system's config, public-key
 * logins only, socket forwarding on, then `extra` lines.
 */
export function privateSshdConfig(dir: string, remote: RemoteDirs, extra: readonly string[] = []): string {
  return [
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PidFile none',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    `SetEnv HOME=${remote.HOME} XDG_RUNTIME_DIR=${remote.XDG_RUNTIME_DIR} XDG_STATE_HOME=${remote.XDG_STATE_HOME} XDG_CONFIG_HOME=${remote.XDG_CONFIG_HOME}`,
    'AllowStreamLocalForwarding yes',
    'StreamLocalBindUnlink yes',
    ...extra,
    '',
  ].join('\n');
}
