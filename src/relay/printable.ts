/**
 * Text from a peer or a process (client names, program names, messages) shown to a
 * person or written to a log. Control characters (C0, DEL, C1) and the Unicode line
 * and paragraph separators are written as visible escapes, so such text can neither
 * drive the terminal it is shown on nor start a new log line.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (ch) => {
    const code = ch.charCodeAt(0);
    if (code === 0x0a) return '\\n';
    if (code === 0x0d) return '\\r';
    if (code === 0x09) return '\\t';
    if (code === 0x1b) return '\\e';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Whether `text` holds nothing that printable() would escape. */
export function isPrintable(text: string): boolean {
  UNPRINTABLE.lastIndex = 0;
  return !UNPRINTABLE.test(text);
}
