/** Environment variables that describe the user's terminal: the client sends them, the session takes them. */
const TERMINAL_VARS = /^(TERM|COLORTERM|LANG|LANGUAGE|LC_[A-Z_]+)$/;

export function isTerminalVar(key: string): boolean {
  return TERMINAL_VARS.test(key);
}
