// eslint-disable-next-line no-control-regex
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * JSON for stdout, which is often a terminal: JSON.stringify escapes C0 controls but
 * leaves DEL, the C1 controls (U+009B is CSI to some terminals) and U+2028/U+2029 raw.
 * Those are written as \u escapes too; any JSON reader reads back the same strings.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
