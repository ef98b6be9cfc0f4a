import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { deviceIdFile } from '../relay/paths.js';

/** A persistent id for this machine's clients, so a daemon can tell devices apart. */
export function deviceId(stateDir: string): string {
  const file = deviceIdFile(stateDir);
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16,64}$/.test(id)) return id;
  } catch {
    // first run: make one below
  }
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
