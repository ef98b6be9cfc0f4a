import type { Paths } from '../relay/paths.js';
import type { Settings } from './config.js';
import type { Identity } from './daemon-client.js';

/** What every command gets from the CLI. */
export interface CliContext {
  paths: Paths;
  identity: Identity;
  verbose: boolean;
  /** The JS entry point, for spawning `gritty server` in the background. */
  entry: string;
  /** Settings for a host from the config file (problems already reported on stderr). */
  settings: (host: string) => Settings;
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
  /** Extra text for `--help`: examples and what the command does in detail. */
  details?: string;
  args?: ArgSpec[];
  options?: OptionSpec[];
  run(ctx: CliContext, args: string[], options: Options): Promise<number>;
}
