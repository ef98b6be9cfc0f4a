import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { deviceIdFile } from '../relay/paths.js';

/** The id saved by an earlier run, if any: for commands that only read (info). */
export function readDeviceId(stateDir: string): string | undefined {
  try {
    const id = readFileSync(deviceIdFile(stateDir), 'utf8').trim();
    return /^[0-9a-f]{16,64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A persistent id for this machine's clients, so a daemon can tell devices apart. */
export function deviceId(stateDir: string): string {
  const file = deviceIdFile(stateDir);
  const saved = readDeviceId(stateDir);
  if (saved !== undefined) return saved;
  const id = randomBytes(16).toString('hex');
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${id}\n`, { mode: 0o600 });
  } catch {
    // read-only home: an id per run still works, takeovers just name no stable device
  }
  return id;
}

export function clientName(): string {
  return `${userInfo().username}@${hostname()}`;
}
