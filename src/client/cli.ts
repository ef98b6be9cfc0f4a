import { Command, CommanderError, Option } from 'commander';
import { GrittyError, type ErrorCode } from '../relay/errors.js';
import { Logger } from '../relay/log.js';
import { clientLogFile, paths, type Paths } from '../relay/paths.js';
import { printable } from '../relay/printable.js';
import { COMMANDS } from './commands/index.js';
import { configWarning, readConfig, resolveSettings, type LoadedConfig } from './config.js';
import type { CliContext, CommandSpec, Options } from './context.js';
import { clientName, deviceId, readDeviceId } from './device.js';
import { dirname, isAbsolute, resolve } from 'node:path';

/** Exit statuses, as the README documents them. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
const USAGE_CODES: readonly ErrorCode[] = ['bad-usage', 'bad-target', 'invalid-name'];

export interface CliDeps {
  runServer: CliContext['runServer'];
  version: string;
}

const SHORT_USAGE = `usage: gritty <command> [options]

  gritty new local:NAME        start a session on this machine and attach
  gritty new HOST:NAME         the same on a host you can ssh to
  gritty attach [HOST:NAME]    attach again (default: the last attached)
  gritty ls                    list sessions on every host

gritty --help lists every command; gritty help COMMAND shows one with examples.
`;

/** The only commander importer: builds the program from the command table and runs it. */
export async function main(argv: string[], deps: CliDeps): Promise<number> {
  if (argv.length === 0) {
    process.stdout.write(SHORT_USAGE);
    return EXIT_OK;
  }
  let loaded: LoadedConfig | undefined;
  let log: Logger | undefined;
  let current = '';
  const program = new Command('gritty')
    .description('Persistent remote shells that bring your local tools with them.')
    .version(deps.version, '-V, --version')
    .option('-v, --verbose', 'debug output: on stderr for this command, and in the logs of the servers and tunnels it starts')
    .option('--ctl-socket <path>', 'use this server socket instead of the default')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined })
    .hook('preSubcommand', (_root, sub) => {
      current = sub.name();
    });

  let exitCode = EXIT_OK;
  for (const spec of COMMANDS) {
    addCommand(program, spec, async (args, options) => {
      exitCode = await spec.run(context(program), args, options);
    });
  }
  program.addHelpText('after', `
Targets are host:session. local is this machine; host alone makes a new numbered
session (new) or means the last attached one (attach); - is the last attached.

Inside a session, after a newline: ~. detach, ~R reconnect, ~# status, ~? help.
Exit status: 0 ok, 1 failure, 2 wrong usage.`);

  try {
    if (argv[0] === 'help' && argv[1] !== undefined && !program.commands.some((c) => c.name() === argv[1] || c.aliases().includes(argv[1]!))) {
      throw new GrittyError('bad-usage', `unknown command '${argv[1]}'; gritty --help lists the commands`);
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT_OK;
      const what = oneLine(err.message.replace(/^error: /, ''));
      const help = current !== '' ? `gritty ${current} --help` : 'gritty --help';
      process.stderr.write(`gritty: ${what}; see ${help}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof GrittyError) {
      log?.debug(`${err.code}: ${err.stack ?? err.message}`);
      process.stderr.write(`gritty: ${oneLine(err.message)}\n`);
      return USAGE_CODES.includes(err.code) ? EXIT_USAGE : EXIT_FAILURE;
    }
    const logFile = clientLogFile(paths().stateDir);
    new Logger({ file: logFile }).error('unexpected error', err);
    process.stderr.write(`gritty: unexpected error: ${oneLine(err instanceof Error ? err.message : String(err))}; the stack is in ${logFile}, please report it\n`);
    return EXIT_FAILURE;
  }

  function context(root: Command): CliContext {
    const globals = root.opts<{ verbose?: boolean; ctlSocket?: string }>();
    const base = paths();
    const verbose = globals.verbose === true;
    log = new Logger({ file: clientLogFile(base.stateDir), echo: verbose }, verbose ? 'debug' : 'info');
    log.debug(`gritty ${argv.join(' ')}`);
    const resolved: Paths = globals.ctlSocket !== undefined ? withCtlSocket(base, globals.ctlSocket) : base;
    const config = (): LoadedConfig => {
      if (loaded === undefined) {
        loaded = readConfig(base.configFile);
        log?.debug(`config ${loaded.path}: ${loaded.exists ? `${loaded.problems.length} problem(s)` : 'none'}`);
      }
      return loaded;
    };
    let warned = false;
    let identity: CliContext['identity'] | undefined;
    return {
      paths: resolved,
      get identity() {
        return (identity ??= { deviceId: deviceId(base.stateDir), clientName: clientName() });
      },
      anonymous: { deviceId: readDeviceId(base.stateDir) ?? 'none', clientName: clientName() },
      version: deps.version,
      verbose,
      log,
      entry: process.argv[1]!,
      config,
      settings: (host, cli) => {
        const file = config();
        const warning = configWarning(file);
        if (warning !== undefined && !warned) process.stderr.write(`${warning}\n`);
        warned = true;
        return resolveSettings(file.config, host, cli);
      },
      runServer: deps.runServer,
    };
  }
}

/** --ctl-socket: a relative path is taken from the current directory, so a daemon started elsewhere finds the same socket. */
function withCtlSocket(base: Paths, path: string): Paths {
  if (path === '') throw new GrittyError('bad-usage', '--ctl-socket needs a path');
  const ctlSocket = isAbsolute(path) ? path : resolve(path);
  return { ...base, ctlSocket, socketDir: dirname(ctlSocket) };
}

/** A message may quote a daemon, possibly a remote one: one line, escaped before it reaches the terminal. */
function oneLine(text: string): string {
  return printable(text.replace(/\s*\n\s*/g, ' ').trim());
}

function addCommand(program: Command, spec: CommandSpec, action: (args: string[], options: Options) => Promise<void>): void {
  const command = program.command(spec.name, { hidden: spec.hidden === true }).description(spec.summary);
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
    // only what the user gave (or a spec default): a --no-X flag's implied "true" must not hide the config's value
    const given = Object.fromEntries(Object.entries(cmd.opts()).filter(([key]) => cmd.getOptionValueSource(key) !== 'default' || (spec.options ?? []).some((o) => o.defaultValue !== undefined && o.flags.includes(kebab(key)))));
    await action(args, given);
  });
}

function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
