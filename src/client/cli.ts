import { Command, CommanderError, Option } from 'commander';
import { GrittyError, type ErrorCode } from '../relay/errors.js';
import { paths } from '../relay/paths.js';
import { printable } from '../relay/printable.js';
import { COMMANDS } from './commands/index.js';
import { readConfig, settingsFor, type ConfigFile } from './config.js';
import type { CliContext, CommandSpec, Options } from './context.js';
import { clientName, deviceId } from './device.js';
import { dirname } from 'node:path';

/** Exit status for wrong usage, as with most Unix tools. */
const USAGE_EXIT = 2;
const USAGE_CODES: readonly ErrorCode[] = ['bad-usage', 'bad-target', 'invalid-name'];

export interface CliDeps {
  runServer: CliContext['runServer'];
  version: string;
}

/** The only commander importer: builds the program from the command table and runs it. */
export async function main(argv: string[], deps: CliDeps): Promise<number> {
  let config: ConfigFile | undefined;
  const warned = new Set<string>();
  const program = new Command('gritty')
    .description('Persistent remote shells that bring your local tools with them.')
    .version(deps.version, '-V, --version')
    .option('-v, --verbose', 'debug logging in the servers and tunnels this command starts (gritty info shows their logs); with connect -f, to stderr')
    .option('--ctl-socket <path>', 'use this server socket instead of the default')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  let exitCode = 0;
  for (const spec of COMMANDS) {
    addCommand(program, spec, async (args, options) => {
      exitCode = await spec.run(context(program), args, options);
    });
  }
  program.addHelpText('after', `
Targets are host:session. local is this machine; host alone makes a new numbered
session (new) or means the last attached one (attach); - is the last attached.

Inside a session, after a newline: ~. detach, ~R reconnect, ~# status, ~? help.`);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
    if (err instanceof GrittyError) {
      // a message may quote a daemon, which may be a remote one: escaped before it reaches the terminal
      process.stderr.write(`gritty: ${printable(err.message)}\n`);
      return USAGE_CODES.includes(err.code) ? USAGE_EXIT : 1;
    }
    process.stderr.write(`gritty: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 70;
  }

  function context(root: Command): CliContext {
    const globals = root.opts<{ verbose?: boolean; ctlSocket?: string }>();
    const base = paths();
    const ctlSocket = globals.ctlSocket ?? base.ctlSocket;
    const verbose = globals.verbose === true;
    return {
      paths: { ...base, ctlSocket, socketDir: globals.ctlSocket !== undefined ? dirname(ctlSocket) : base.socketDir },
      identity: { deviceId: deviceId(base.stateDir), clientName: clientName() },
      verbose,
      entry: process.argv[1]!,
      settings: (host) => {
        config ??= readConfig(base.configFile);
        const { settings, problems } = settingsFor(config, host);
        for (const problem of problems) if (!warned.has(problem)) process.stderr.write(`gritty: config: ${problem}\n`);
        for (const problem of problems) warned.add(problem);
        return settings;
      },
      runServer: deps.runServer,
    };
  }
}

function addCommand(program: Command, spec: CommandSpec, action: (args: string[], options: Options) => Promise<void>): void {
  const command = program.command(spec.name).description(spec.summary);
  for (const alias of spec.aliases ?? []) command.alias(alias);
  for (const arg of spec.args ?? []) {
    const name = `${arg.name}${arg.variadic === true ? '...' : ''}`;
    command.argument(arg.required ? `<${name}>` : `[${name}]`, arg.description);
  }
  for (const opt of spec.options ?? []) {
    const option = new Option(opt.flags, opt.description);
    if (opt.defaultValue !== undefined) option.default(opt.defaultValue);
    if (opt.repeatable === true) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    if (opt.hidden === true) option.hideHelp();
    command.addOption(option);
  }
  if (spec.details !== undefined) command.addHelpText('after', spec.details);
  command.action(async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const args = cmd.args.filter((a): a is string => typeof a === 'string');
    await action(args, cmd.opts());
  });
}
