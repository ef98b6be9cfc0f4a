import { GrittyError } from '../../relay/errors.js';

/**
 * Splits a configured command (open-command) into argv without a shell: words are
 * separated by blanks; '…' quotes literally, "…" quotes with \" and \\ escapes, and a
 * backslash outside quotes escapes the next character. Nothing is expanded.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  const add = (text: string): void => {
    word = (word ?? '') + text;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else add(ch);
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) add(line[++i]!);
      else add(ch);
    } else if (ch === ' ' || ch === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      add('');
    } else if (ch === '\\' && i + 1 < line.length) {
      add(line[++i]!);
    } else {
      add(ch);
    }
  }
  if (quote !== undefined) throw new GrittyError('bad-usage', `open-command has an unclosed ${quote}: fix it in the config`);
  if (word !== undefined) words.push(word);
  if (words.length === 0) throw new GrittyError('bad-usage', 'open-command is empty: set it to a program, or remove it to use the default browser');
  return words;
}
