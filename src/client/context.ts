import type { Logger } from '../relay/log.js';
import type { Paths } from '../relay/paths.js';
import type { CliOverrides, LoadedConfig, Settings } from './config.js';
import type { Identity } from './daemon-client.js';

/** What every command gets from the CLI. */
export interface CliContext {
  paths: Paths;
  /** Who this client is; the first use saves a device id in the state dir. */
  readonly identity: Identity;
  /** The same without saving anything, for commands that only read. */
  anonymous: Identity;
  version: string;
  verbose: boolean;
  /** This command's log (client.log); with -v also on stderr until quiet(). */
  log: Logger;
  /** The JS entry point, for spawning `gritty server` in the background. */
  entry: string;
  /** The config file, read and checked once, without any warning. */
  config: () => LoadedConfig;
  /** Settings for a host: flags over config over built-in; the first call warns (one line) about a faulty file. */
  settings: (host: string, cli?: CliOverrides) => Settings;
  /** Runs the daemon in this process (`gritty server -f`). */
  runServer: (options: { ctlSocket: string; stateDir: string; verbose: boolean }) => Promise<number>;
}

export type Options = Record<string, unknown>;

export interface ArgSpec {
  name: string;
  required: boolean;
  description: string;
  variadic?: boolean;
}

export interface OptionSpec {
  flags: string;
  description: string;
  defaultValue?: unknown;
  /** Repeatable: values collect into an array. */
  repeatable?: boolean;
  /** For gritty's own use, left out of --help. */
  hidden?: boolean;
}

/** A command as data, in the manner of tmux's command table; cli.ts turns these into commander commands. */
export interface CommandSpec {
  name: string;
  aliases?: string[];
  summary: string;
  /** For gritty's own use (shell completion), left out of --help. */
  hidden?: boolean;
  /** Extra text for `--help`: examples and what the command does in detail. */
  details?: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  run(ctx: CliContext, args: string[], options: Options): Promise<number>;
}
