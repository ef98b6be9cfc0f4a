/**
 * ssh-style escape sequences, recognised after a newline or at session start:
 * `~.` detach, `~R` reconnect, `~#` status, `~^Z` suspend, `~?` help, `~~` a literal ~.
 * Pure: bytes in, actions out.
 */
export type EscapeCommand = 'detach' | 'reconnect' | 'status' | 'suspend' | 'help';
export type EscapeAction = { kind: 'send'; data: Buffer } | { kind: EscapeCommand };

const TILDE = 0x7e;
const CR = 0x0d;
const LF = 0x0a;
const COMMANDS: ReadonlyMap<number, EscapeCommand> = new Map([
  [0x2e, 'detach'], // .
  [0x52, 'reconnect'], // R
  [0x23, 'status'], // #
  [0x1a, 'suspend'], // ^Z
  [0x3f, 'help'], // ?
]);

export const ESCAPE_HELP = [
  'Supported escape sequences (after a newline):',
  '  ~.   detach from the session (it keeps running)',
  '  ~R   reconnect now',
  '  ~#   show session status and round-trip time',
  '  ~^Z  suspend gritty',
  '  ~?   this help',
  '  ~~   send a literal ~',
].join('\r\n');

export class EscapeParser {
  private atLineStart = true;
  private pendingTilde = false;

  feed(data: Buffer): EscapeAction[] {
    const actions: EscapeAction[] = [];
    let runStart = 0;
    const flush = (end: number): void => {
      if (end > runStart) actions.push({ kind: 'send', data: data.subarray(runStart, end) });
    };
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if (this.pendingTilde) {
        this.pendingTilde = false;
        const command = COMMANDS.get(byte);
        if (command !== undefined) {
          actions.push({ kind: command });
          this.atLineStart = true;
          runStart = i + 1;
          continue;
        }
        actions.push({ kind: 'send', data: Buffer.from([TILDE]) });
        runStart = byte === TILDE ? i + 1 : i;
        this.atLineStart = byte === CR || byte === LF;
        continue;
      }
      if (this.atLineStart && byte === TILDE) {
        flush(i);
        this.pendingTilde = true;
        runStart = i + 1;
        continue;
      }
      this.atLineStart = byte === CR || byte === LF;
    }
    flush(data.length);
    return actions;
  }
}
