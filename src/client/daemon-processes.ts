import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';

/** A gritty daemon found among this user's processes, with the socket it was started on. */
export interface DaemonProcess {
  pid: number;
  ctlSocket: string;
  /** Its direct children: the shells of its sessions. */
  children: number[];
  /** Seconds since it started. */
  ageSeconds: number;
}

/** /proc/<pid>/stat counts start times in clock ticks; 100 per second on every Linux gritty runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Every `gritty ... server --foreground` of this user, read from /proc (empty where
 * there is no /proc). How server-start.ts spawns the daemon is what this looks for.
 */
export function grittyDaemons(): DaemonProcess[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const parents = new Map<number, number[]>();
  const daemons: { pid: number; ctlSocket: string; ageSeconds: number }[] = [];
  let uptime = Infinity;
  try {
    uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  } catch {
    // no uptime: every daemon counts as old
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), pid]);
      if (uid !== undefined && statSync(`/proc/${pid}`).uid !== uid) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const server = argv.indexOf('server');
      const socket = argv.indexOf('--ctl-socket');
      if (runsGritty(argv) && server > 0 && (argv.includes('--foreground') || argv.includes('-f')) && socket > 0 && argv[socket + 1] !== undefined) {
        daemons.push({ pid, ctlSocket: argv[socket + 1]!, ageSeconds: uptime - Number(fields[19]) / CLOCK_TICKS_PER_SECOND });
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return daemons.map((d) => ({ ...d, children: parents.get(d.pid) ?? [] }));
}

/**
 * Whether a command line runs gritty: as argv[0], or as the script of `node [node
 * options] script …` (server-start.ts passes V8 flags before it).
 */
function runsGritty(argv: readonly string[]): boolean {
  const script = argv.slice(1).find((a) => !a.startsWith('-'));
  return [argv[0], script].some((a) => a !== undefined && (basename(a) === 'gritty' || a.endsWith('/app/main.js')));
}
