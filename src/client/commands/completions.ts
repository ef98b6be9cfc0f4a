import { GrittyError } from '../../relay/errors.js';
import { LOCAL_HOST } from '../../relay/names.js';
import { complete } from '../completion-words.js';
import type { CliContext, CommandSpec } from '../context.js';
import { openDaemon, request } from '../daemon-client.js';
import { hostSocket } from '../endpoint.js';
import { tunnelNames } from '../tunnel-state.js';

/** A completion waits at most this long for a daemon: a host that is down must not hang the shell. */
export const COMPLETION_BUDGET_MS = 700;

const SCRIPTS: Record<string, string> = {
  bash: `# gritty completion for bash: eval "$(gritty completions bash)" in ~/.bashrc
_gritty() {
  local line="\${COMP_LINE:0:COMP_POINT}" cur c out
  local -a words
  read -ra words <<< "$line"
  [[ "$line" == *[[:space:]] || \${#words[@]} -eq 0 ]] && words+=("")
  cur="\${words[\${#words[@]}-1]}"
  out=$(command gritty __complete -- "\${words[@]:1}" 2>/dev/null) || return 0
  COMPREPLY=()
  local IFS=$'\\n'
  for c in $out; do
    # bash splits words at ':', so offer only what follows the last ':' of the word
    [[ "$cur" == *:* ]] && c="\${c#"\${cur%"\${cur##*:}"}"}"
    COMPREPLY+=("$c")
  done
  [[ \${#COMPREPLY[@]} -gt 0 && "\${COMPREPLY[0]}" == *: ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _gritty gritty
`,
  zsh: `#compdef gritty
# gritty completion for zsh: gritty completions zsh > ~/.zfunc/_gritty, with
# fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc (or source it after compinit)
_gritty() {
  local -a out spaced bare
  out=("\${(@f)$(command gritty __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  local c
  for c in $out; do
    [[ -z $c ]] && continue
    if [[ $c == *: ]]; then bare+=("$c"); else spaced+=("$c"); fi
  done
  (( \${#spaced} )) && compadd -Q -- "\${spaced[@]}"
  (( \${#bare} )) && compadd -Q -S '' -- "\${bare[@]}"
  return 0
}
if [[ "\${funcstack[1]}" == _gritty ]]; then _gritty "$@"; else compdef _gritty gritty; fi
`,
  fish: `# gritty completion for fish: gritty completions fish > ~/.config/fish/completions/gritty.fish
function __gritty_complete
    set -l tokens (commandline -opc) (commandline -ct)
    command gritty __complete -- $tokens[2..-1] 2>/dev/null
end
complete -c gritty -f -a '(__gritty_complete)'
`,
};

export function completions(commands: () => readonly CommandSpec[]): CommandSpec[] {
  const script: CommandSpec = {
    name: 'completions',
    summary: 'print a shell completion script (bash, zsh, fish)',
    details: `
Completes commands, aliases and flags, host names (local, tunnels, [host.*] in the
config) and, after HOST:, that host's sessions, asked of its server for at most
${COMPLETION_BUDGET_MS} ms; completion never starts a server or a tunnel.

Examples:
  gritty completions zsh > ~/.zfunc/_gritty                  with fpath=(~/.zfunc $fpath)
  gritty completions fish > ~/.config/fish/completions/gritty.fish
  eval "$(gritty completions bash)"                          in ~/.bashrc`,
    args: [{ name: 'shell', required: true, description: 'bash, zsh or fish' }],
    async run(_ctx, args) {
      const text = SCRIPTS[args[0]!];
      if (text === undefined) throw new GrittyError('bad-usage', `no completions for ${args[0]}; pick bash, zsh or fish`);
      process.stdout.write(text);
      return 0;
    },
  };
  const hidden: CommandSpec = {
    name: '__complete',
    hidden: true,
    summary: 'internal: completion candidates for the words after gritty',
    args: [{ name: 'words', required: false, variadic: true, description: 'the words, the last under the cursor' }],
    async run(ctx, args) {
      const found = await complete(commands(), args.length === 0 ? [''] : args, {
        hosts: () => knownHosts(ctx),
        sessions: (host) => sessionsWithin(ctx, host, COMPLETION_BUDGET_MS),
      });
      process.stdout.write(found.map((c) => `${c}\n`).join(''));
      return 0;
    },
  };
  return [script, hidden];
}

function knownHosts(ctx: CliContext): string[] {
  const config = ctx.config();
  return [LOCAL_HOST, ...tunnelNames(ctx.paths.socketDir), ...Object.keys(config.config.hosts)];
}

/** The host's session names, or none when its server does not answer within the budget. */
async function sessionsWithin(ctx: CliContext, host: string, budgetMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  let timeoutLink: Awaited<ReturnType<typeof openDaemon>> | undefined;
  const ask = (async () => {
    const link = await openDaemon(hostSocket(ctx, host), ctx.anonymous);
    timeoutLink = link;
    return (await request(link, { type: 'list' }, 'sessions', budgetMs)).sessions.map((s) => s.name);
  })();
  const late = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => {
      timeoutLink?.conn.close();
      resolve([]);
    }, budgetMs);
  });
  try {
    return await Promise.race([ask.catch(() => []), late]);
  } finally {
    clearTimeout(timer);
  }
}
